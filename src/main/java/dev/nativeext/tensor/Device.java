package dev.nativeext.tensor;

import java.util.Locale;

/** Where a tensor's memory lives: {@code cpu} or {@code cuda:i}. */
public record Device(Type type, int index) {

    public enum Type { CPU, CUDA }

    public static final Device CPU = new Device(Type.CPU, 0);

    public Device {
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
        if (type == Type.CPU && index != 0) throw new IllegalArgumentException("the cpu device has no index, got cpu:" + index);
    }

    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    /** {@code "cpu"}, {@code "cuda"} (device 0) or {@code "cuda:1"}. */
    public static Device parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) return CPU;
        if (t.equals("cuda")) return cuda(0);
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new IllegalArgumentException("device '" + s + "' is not cpu, cuda or cuda:<index>");
    }

    public boolean isCuda() {
        return type == Type.CUDA;
    }

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
