package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Smoke check of {@link OnnxModel} and {@link BenchUtil#ortSession}: builds the one-node ONNX
 * models the detection benchmarks compare against (RoiAlign, MaxRoiPool, NonMaxSuppression,
 * DeformConv), runs each once on seeded random inputs with ORT's CPU provider and prints the
 * output shapes. An op ORT cannot load or run is reported as unsupported (exit status 1 only if
 * RoiAlign or NonMaxSuppression, which ORT is known to have, fail).
 */
public final class OrtSmoke {

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private static final Random RNG = new Random(42);

    private OrtSmoke() {}

    public static void main(String[] args) throws Exception {
        BenchUtil.header(System.out, "OrtSmoke (onnxruntime " + ENV.getVersion() + ")");
        boolean ok = true;
        ok &= check("RoiAlign", true, OrtSmoke::roiAlign);
        ok &= check("MaxRoiPool", false, OrtSmoke::maxRoiPool);
        ok &= check("NonMaxSuppression", true, OrtSmoke::nms);
        ok &= check("DeformConv", false, OrtSmoke::deformConv);
        System.out.printf("peak RSS %.1f MiB%n", BenchUtil.peakRssMb());
        if (!ok) System.exit(1);
    }

    private interface Case {
        void run() throws OrtException;
    }

    private static boolean check(String op, boolean required, Case c) {
        try {
            c.run();
            return true;
        } catch (RuntimeException | OrtException e) {
            String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            System.out.println(op + ": NOT SUPPORTED by ORT CPU here: " + msg);
            return !required;
        }
    }

    private static void roiAlign() throws OrtException {
        int k = 8;
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("mode", "avg");
        attrs.put("output_height", 7L);
        attrs.put("output_width", 7L);
        attrs.put("sampling_ratio", 2L);
        attrs.put("spatial_scale", 0.25);
        attrs.put("coordinate_transformation_mode", "half_pixel");
        byte[] model = OnnxModel.model("RoiAlign", "", 16,
                List.of(new OnnxModel.Io("X", OnnxModel.FLOAT, new long[] {1, 256, 200, 200}),
                        new OnnxModel.Io("rois", OnnxModel.FLOAT, new long[] {-1, 4}),
                        new OnnxModel.Io("batch_indices", OnnxModel.INT64, new long[] {-1})),
                List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {-1, 256, 7, 7})),
                attrs);
        // Boxes in input-image pixels (the feature map is 1/4 of an 800x800 image).
        float[] rois = new float[k * 4];
        for (int i = 0; i < k; i++) {
            float x1 = RNG.nextFloat() * 600, y1 = RNG.nextFloat() * 600;
            rois[4 * i] = x1;
            rois[4 * i + 1] = y1;
            rois[4 * i + 2] = x1 + 10 + RNG.nextFloat() * 190;
            rois[4 * i + 3] = y1 + 10 + RNG.nextFloat() * 190;
        }
        runOnce("RoiAlign", model, Map.of(
                "X", floats(new long[] {1, 256, 200, 200}),
                "rois", floats(rois, new long[] {k, 4}),
                "batch_indices", longs(new long[k], new long[] {k})));
    }

    private static void maxRoiPool() throws OrtException {
        int k = 8;
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("pooled_shape", new long[] {7, 7});
        attrs.put("spatial_scale", 0.25);
        byte[] model = OnnxModel.model("MaxRoiPool", "", 17,
                List.of(new OnnxModel.Io("X", OnnxModel.FLOAT, new long[] {1, 256, 200, 200}),
                        new OnnxModel.Io("rois", OnnxModel.FLOAT, new long[] {-1, 5})),
                List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {-1, 256, 7, 7})),
                attrs);
        float[] rois = new float[k * 5]; // [batch_index, x1, y1, x2, y2]
        for (int i = 0; i < k; i++) {
            float x1 = RNG.nextFloat() * 600, y1 = RNG.nextFloat() * 600;
            rois[5 * i + 1] = x1;
            rois[5 * i + 2] = y1;
            rois[5 * i + 3] = x1 + 10 + RNG.nextFloat() * 190;
            rois[5 * i + 4] = y1 + 10 + RNG.nextFloat() * 190;
        }
        runOnce("MaxRoiPool", model, Map.of(
                "X", floats(new long[] {1, 256, 200, 200}),
                "rois", floats(rois, new long[] {k, 5})));
    }

    private static void nms() throws OrtException {
        int n = 200;
        byte[] model = OnnxModel.model("NonMaxSuppression", "", 11,
                List.of(new OnnxModel.Io("boxes", OnnxModel.FLOAT, new long[] {1, -1, 4}),
                        new OnnxModel.Io("scores", OnnxModel.FLOAT, new long[] {1, 1, -1}),
                        new OnnxModel.Io("max_output_boxes_per_class", OnnxModel.INT64, new long[] {1}),
                        new OnnxModel.Io("iou_threshold", OnnxModel.FLOAT, new long[] {1})),
                List.of(new OnnxModel.Io("selected_indices", OnnxModel.INT64, new long[] {-1, 3})),
                Map.of("center_point_box", 0L));
        float[] boxes = new float[n * 4]; // [y1, x1, y2, x2], the ONNX order
        for (int i = 0; i < n; i++) {
            float y1 = RNG.nextFloat() * 100, x1 = RNG.nextFloat() * 100;
            boxes[4 * i] = y1;
            boxes[4 * i + 1] = x1;
            boxes[4 * i + 2] = y1 + 5 + RNG.nextFloat() * 30;
            boxes[4 * i + 3] = x1 + 5 + RNG.nextFloat() * 30;
        }
        runOnce("NonMaxSuppression", model, Map.of(
                "boxes", floats(boxes, new long[] {1, n, 4}),
                "scores", floats(new long[] {1, 1, n}),
                "max_output_boxes_per_class", longs(new long[] {n}, new long[] {1}),
                "iou_threshold", floats(new float[] {0.5f}, new long[] {1})));
    }

    private static void deformConv() throws OrtException {
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("kernel_shape", new long[] {3, 3});
        attrs.put("pads", new long[] {1, 1, 1, 1});
        attrs.put("strides", new long[] {1, 1});
        attrs.put("dilations", new long[] {1, 1});
        attrs.put("group", 1L);
        attrs.put("offset_group", 1L);
        byte[] model = OnnxModel.model("DeformConv", "", 19,
                List.of(new OnnxModel.Io("X", OnnxModel.FLOAT, new long[] {1, 256, 50, 50}),
                        new OnnxModel.Io("W", OnnxModel.FLOAT, new long[] {256, 256, 3, 3}),
                        new OnnxModel.Io("offset", OnnxModel.FLOAT, new long[] {1, 18, 50, 50}),
                        new OnnxModel.Io("B", OnnxModel.FLOAT, new long[] {256}),
                        new OnnxModel.Io("mask", OnnxModel.FLOAT, new long[] {1, 9, 50, 50})),
                List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {1, 256, 50, 50})),
                attrs);
        runOnce("DeformConv", model, Map.of(
                "X", floats(new long[] {1, 256, 50, 50}),
                "W", floats(new long[] {256, 256, 3, 3}),
                "offset", floats(new long[] {1, 18, 50, 50}),
                "B", floats(new long[] {256}),
                "mask", floats(new long[] {1, 9, 50, 50})));
    }

    /** Loads the model (2 intra-op threads), runs it once, prints the outputs' shapes and closes all. */
    private static void runOnce(String op, byte[] model, Map<String, OnnxTensor> feeds) throws OrtException {
        try (OrtSession session = BenchUtil.ortSession(model, 2)) {
            long t0 = System.nanoTime();
            try (OrtSession.Result result = session.run(feeds)) {
                double ms = (System.nanoTime() - t0) / 1e6;
                StringBuilder sb = new StringBuilder(op + ": OK (" + model.length + "-byte model, "
                        + String.format("%.1f", ms) + " ms first run)");
                for (Map.Entry<String, OnnxValue> e : result) {
                    TensorInfo info = (TensorInfo) e.getValue().getInfo();
                    sb.append(" ").append(e.getKey()).append(" ").append(info.type)
                            .append(Arrays.toString(info.getShape()));
                }
                System.out.println(sb);
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor floats(long[] shape) throws OrtException {
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = RNG.nextFloat() * 2 - 1;
        return floats(v, shape);
    }

    private static OnnxTensor floats(float[] v, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(v), shape);
    }

    private static OnnxTensor longs(long[] v, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(v), shape);
    }
}
