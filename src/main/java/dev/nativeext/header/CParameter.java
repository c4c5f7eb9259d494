package dev.nativeext.header;

/**
 * One parameter of a bound function.
 *
 * @param name the name in the header, or {@code argN} when the header gave none
 * @param type its type
 */
public record CParameter(String name, CType type) {
}
