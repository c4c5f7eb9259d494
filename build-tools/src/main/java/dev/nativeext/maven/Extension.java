package dev.nativeext.maven;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code <extension>} of the {@code nativeext:build} goal: the arguments of
 * {@code NativeExtension.create} and its keyword arguments, as the POM spells them. A plain
 * object: Maven fills it from the POM, tests build it by hand.
 *
 * <pre>{@code
 * <extension>
 *   <name>ext.my_lib</name>
 *   <headers><header>src/main/c/my_lib.h</header></headers>
 *   <sources><source>src/main/c/my_lib.c</source></sources>
 * </extension>
 * }</pre>
 *
 * @since 0.1.0
 */
public class Extension {

    /** Dotted name, e.g. {@code ext.my_lib}: binding class {@code ext.MyLib}, library {@code libmy_lib.so}. Required. */
    private String name;
    /** Headers of exported functions: the declarations to bind. At least one. */
    private List<String> headers = new ArrayList<>();
    /** C99 sources ({@code .c}) and, for a CUDA extension, CUDA sources ({@code .cu}). */
    private List<String> sources = new ArrayList<>();
    /** Whether the extension uses CUDA: adds a {@code -cuda} variant built with nvcc. Default {@code false}. */
    private boolean withCuda;
    /**
     * For a {@code withCuda} extension: where nvcc is missing, build the CPU variant and warn,
     * instead of failing. Default {@code false}.
     */
    private boolean cudaOptional;
    /** Package mode: binding class {@code ext.my_lib.MyLib} instead of {@code ext.MyLib}. Default {@code false}. */
    private boolean packageMode;
    /** The file or folder that relative paths resolve against; itself relative to the project folder. Default: the project folder. */
    private String relativeTo;
    /** Extra include folders ({@code -I}); the headers' folders are searched anyway. */
    private List<String> includeDirs = new ArrayList<>();
    /** Library folders ({@code -L}). */
    private List<String> libraryDirs = new ArrayList<>();
    /** Libraries to link, without {@code lib} and suffix ({@code m} for libm). */
    private List<String> libraries = new ArrayList<>();
    /** Macros, {@code <NAME>value</NAME>}; an empty element defines the macro without a value. */
    private Map<String, String> defineMacros = new LinkedHashMap<>();
    /** Arguments for the C compiler, after nativeext's defaults. */
    private List<String> extraCompileArgs = new ArrayList<>();
    /** Arguments for the linker. */
    private List<String> extraLinkArgs = new ArrayList<>();
    /** Prebuilt objects or archives linked into the library. */
    private List<String> extraObjects = new ArrayList<>();
    /** CUDA architectures, e.g. {@code 8.0;9.0+PTX}. Default: the library's ({@code -Dnativeext.cuda.archs}). */
    private String cudaArchs;
    /** Arguments for nvcc, after the defaults. */
    private List<String> extraCudaArgs = new ArrayList<>();

    public String getName() { return name; }
    public void setName(String v) { name = v; }
    public List<String> getHeaders() { return headers; }
    public void setHeaders(List<String> v) { headers = nonNull(v); }
    public List<String> getSources() { return sources; }
    public void setSources(List<String> v) { sources = nonNull(v); }
    public boolean isWithCuda() { return withCuda; }
    public void setWithCuda(boolean v) { withCuda = v; }
    public boolean isCudaOptional() { return cudaOptional; }
    public void setCudaOptional(boolean v) { cudaOptional = v; }
    public boolean isPackageMode() { return packageMode; }
    public void setPackageMode(boolean v) { packageMode = v; }
    public String getRelativeTo() { return relativeTo; }
    public void setRelativeTo(String v) { relativeTo = v; }
    public List<String> getIncludeDirs() { return includeDirs; }
    public void setIncludeDirs(List<String> v) { includeDirs = nonNull(v); }
    public List<String> getLibraryDirs() { return libraryDirs; }
    public void setLibraryDirs(List<String> v) { libraryDirs = nonNull(v); }
    public List<String> getLibraries() { return libraries; }
    public void setLibraries(List<String> v) { libraries = nonNull(v); }
    public Map<String, String> getDefineMacros() { return defineMacros; }
    public void setDefineMacros(Map<String, String> v) { defineMacros = v == null ? new LinkedHashMap<>() : v; }
    public List<String> getExtraCompileArgs() { return extraCompileArgs; }
    public void setExtraCompileArgs(List<String> v) { extraCompileArgs = nonNull(v); }
    public List<String> getExtraLinkArgs() { return extraLinkArgs; }
    public void setExtraLinkArgs(List<String> v) { extraLinkArgs = nonNull(v); }
    public List<String> getExtraObjects() { return extraObjects; }
    public void setExtraObjects(List<String> v) { extraObjects = nonNull(v); }
    public String getCudaArchs() { return cudaArchs; }
    public void setCudaArchs(String v) { cudaArchs = v; }
    public List<String> getExtraCudaArgs() { return extraCudaArgs; }
    public void setExtraCudaArgs(List<String> v) { extraCudaArgs = nonNull(v); }

    private static List<String> nonNull(List<String> v) {
        return v == null ? new ArrayList<>() : v;
    }
}
