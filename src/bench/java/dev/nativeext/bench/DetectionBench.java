package dev.nativeext.bench;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the detection-op benchmarks: {@code java -cp ... dev.nativeext.bench.DetectionBench
 * [roi_align roi_pool nms deform_conv deform_psroi_pool sigmoid_focal_loss]}; no argument = all.
 *
 * <p>Each op's bench class is called by reflection, so this runner compiles and runs whichever of
 * them exist (they are written separately, one per op); a missing one prints "not built yet".
 */
public final class DetectionBench {

    /** Op name on the command line to the simple name of its bench class, in run order. */
    private static final Map<String, String> BENCHES = new LinkedHashMap<>();

    static {
        BENCHES.put("roi_align", "RoiAlignBench");
        BENCHES.put("roi_pool", "RoiPoolBench");
        BENCHES.put("nms", "NmsBench");
        BENCHES.put("deform_conv", "DeformConvBench");
        BENCHES.put("deform_psroi_pool", "DeformPsRoiPoolBench");
        BENCHES.put("sigmoid_focal_loss", "SigmoidFocalLossBench");
    }

    private DetectionBench() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        List<String> ops = args.length == 0 ? List.copyOf(BENCHES.keySet()) : Arrays.asList(args);
        for (String op : ops) {
            if (!BENCHES.containsKey(op)) {
                System.err.println("unknown op '" + op + "'; expected one of " + BENCHES.keySet());
                System.exit(2);
            }
        }
        BenchUtil.header(out, "detection ops " + ops);
        int failures = 0;
        for (String op : ops) {
            String className = DetectionBench.class.getPackageName() + "." + BENCHES.get(op);
            Method run;
            try {
                run = Class.forName(className).getMethod("run", PrintStream.class);
            } catch (ClassNotFoundException | NoSuchMethodException e) {
                out.println("[" + op + "] " + className + ": not built yet");
                continue;
            }
            try {
                run.invoke(null, out);
            } catch (InvocationTargetException e) {
                // One failing bench must not hide the others' figures; report and go on.
                failures++;
                out.println("[" + op + "] FAILED: " + e.getCause());
                e.getCause().printStackTrace(out);
            }
        }
        out.println("peak RSS " + String.format("%.1f", BenchUtil.peakRssMb()) + " MiB");
        if (failures > 0) System.exit(1);
    }
}
