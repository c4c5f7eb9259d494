package dev.nativeext.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Builds a serialized ONNX {@code ModelProto} of one node ({@link #model}) or a small graph of
 * ai.onnx nodes ({@link #graph}), so the benchmarks can run ONNX Runtime's kernels without a
 * protobuf dependency or a model file on disk.
 *
 * <p>The encoder writes only the fields it needs, with the field numbers of onnx.proto. Repeated
 * scalars are written unpacked: onnx.proto is proto2, where unpacked is the default encoding, and
 * every protobuf parser accepts it.
 */
public final class OnnxModel {

    /** TensorProto.DataType codes used by the benchmarks. */
    public static final int FLOAT = 1, INT64 = 7, DOUBLE = 11;

    /**
     * One graph input or output.
     *
     * @param name     the value name, also used as the node's input/output name
     * @param elemType TensorProto.DataType: 1 = float, 11 = double, 7 = int64
     * @param shape    the dims; -1 = a dynamic dim (written as dim_param "name_i"); null = unknown
     *                 rank (no shape written)
     */
    public record Io(String name, int elemType, long[] shape) {}

    /** One ai.onnx node of a {@link #graph}: values by name, attributes as in {@link #model}. */
    public record Node(String opType, List<String> inputs, List<String> outputs, Map<String, Object> attributes) {
        public Node(String opType, String output, String... inputs) {
            this(opType, List.of(inputs), List.of(output), Map.of());
        }
    }

    // ir_version 9 is what ONNX 1.14 (opsets <= 19) writes; ORT 1.29 loads IR up to 11, and opsets
    // 20+ come with IR 10, so the IR follows the requested opset.
    private static int irVersion(int opset, String domain) {
        return domain.isEmpty() && opset >= 21 ? 10 : 9;
    }

    /** The default ai.onnx opset imported next to a custom domain (ORT requires "" to be present). */
    private static final int DEFAULT_ONNX_OPSET = 17;

    private OnnxModel() {}

    /**
     * The serialized model: inputs feed the node in list order, outputs come from it in list order.
     *
     * @param opType     the op, e.g. "RoiAlign"
     * @param domain     the op's domain; "" = ai.onnx
     * @param opset      the opset version imported for {@code domain}
     * @param attributes name to value: Long (INT), Double (FLOAT), String (STRING), long[] (INTS),
     *                   double[] (FLOATS); Integer and Float are accepted as Long and Double
     */
    public static byte[] model(String opType, String domain, int opset, List<Io> inputs,
                               List<Io> outputs, Map<String, Object> attributes) {
        String dom = domain == null ? "" : domain;
        Proto graph = new Proto();
        graph.message(1, node(opType + "_0", opType, dom, inputs.stream().map(Io::name).toList(),
                outputs.stream().map(Io::name).toList(), attributes));
        return serialize(graph, opType + "_graph", dom, opset, inputs, outputs);
    }

    /** A graph of ai.onnx nodes in the order given (each reads graph inputs or earlier outputs). */
    public static byte[] graph(String name, int opset, List<Io> inputs, List<Io> outputs, List<Node> nodes) {
        return graph(name, opset, inputs, outputs, nodes, List.of());
    }

    /**
     * A float32 constant of a graph (an ONNX initializer), row-major: weights that the runtime
     * may pre-pack once, as it does for a real model's.
     */
    public record Init(String name, long[] dims, float[] data) {}

    /** As {@link #graph(String, int, List, List, List)}, with constants the nodes read by name. */
    public static byte[] graph(String name, int opset, List<Io> inputs, List<Io> outputs, List<Node> nodes, List<Init> initializers) {
        Proto graph = new Proto();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            graph.message(1, node(n.opType() + "_" + i, n.opType(), "", n.inputs(), n.outputs(), n.attributes()));
        }
        for (Init init : initializers) {
            Proto t = new Proto();
            for (long d : init.dims()) t.varint(1, d);
            t.varint(2, FLOAT);
            t.string(8, init.name());
            java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(4 * init.data().length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(init.data());
            t.bytes(9, raw.array());
            graph.message(5, t);
        }
        return serialize(graph, name, "", opset, inputs, outputs);
    }

    private static Proto node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                              Map<String, Object> attributes) {
        Proto node = new Proto();
        for (String in : inputs) node.string(1, in);
        for (String out : outputs) node.string(2, out);
        node.string(3, name);
        node.string(4, opType);
        if (!domain.isEmpty()) node.string(7, domain);
        if (attributes != null) {
            // Sorted keys keep the bytes stable whatever Map the caller used.
            for (String key : new java.util.TreeSet<>(attributes.keySet())) {
                node.message(5, attribute(key, attributes.get(key)));
            }
        }
        return node;
    }

    private static byte[] serialize(Proto graph, String name, String dom, int opset, List<Io> inputs, List<Io> outputs) {
        graph.string(2, name);
        for (Io in : inputs) graph.message(11, valueInfo(in));
        for (Io out : outputs) graph.message(12, valueInfo(out));
        Proto model = new Proto();
        model.varint(1, irVersion(opset, dom));
        model.string(2, "nativeext-bench");
        model.message(7, graph);
        model.message(8, opsetImport(dom, opset));
        if (!dom.isEmpty()) model.message(8, opsetImport("", DEFAULT_ONNX_OPSET));
        return model.bytes();
    }

    private static Proto opsetImport(String domain, int version) {
        Proto p = new Proto();
        p.string(1, domain);
        p.varint(2, version);
        return p;
    }

    private static Proto valueInfo(Io io) {
        Proto tensor = new Proto();
        tensor.varint(1, io.elemType());
        if (io.shape() != null) {
            Proto shape = new Proto();
            for (int i = 0; i < io.shape().length; i++) {
                Proto dim = new Proto();
                long d = io.shape()[i];
                if (d < 0) dim.string(2, io.name() + "_" + i);
                else dim.varint(1, d);
                shape.message(1, dim);
            }
            tensor.message(2, shape);
        }
        Proto type = new Proto();
        type.message(1, tensor);
        Proto vi = new Proto();
        vi.string(1, io.name());
        vi.message(2, type);
        return vi;
    }

    private static Proto attribute(String name, Object value) {
        Proto a = new Proto();
        a.string(1, name);
        if (value instanceof Long || value instanceof Integer) {
            a.varint(3, ((Number) value).longValue());
            a.varint(20, 2);
        } else if (value instanceof Double || value instanceof Float) {
            a.fixed32(2, Float.floatToIntBits(((Number) value).floatValue()));
            a.varint(20, 1);
        } else if (value instanceof String s) {
            a.bytes(4, s.getBytes(StandardCharsets.UTF_8));
            a.varint(20, 3);
        } else if (value instanceof double[] fs) {
            for (double f : fs) a.fixed32(7, Float.floatToIntBits((float) f));
            a.varint(20, 6);
        } else if (value instanceof long[] is) {
            for (long i : is) a.varint(8, i);
            a.varint(20, 7);
        } else {
            throw new IllegalArgumentException("attribute '" + name + "': expected Long, Double, "
                    + "String, long[] or double[], got "
                    + (value == null ? "null" : value.getClass().getName()));
        }
        return a;
    }

    /** A protobuf message being written: tag + payload, fields in call order. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        private void tag(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        // Negative int64 values take ten bytes (two's complement), as protobuf specifies.
        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        void varint(int field, long v) {
            tag(field, 0);
            rawVarint(v);
        }

        void fixed32(int field, int bits) {
            tag(field, 5);
            for (int i = 0; i < 4; i++) out.write((bits >>> (8 * i)) & 0xFF);
        }

        void bytes(int field, byte[] b) {
            tag(field, 2);
            rawVarint(b.length);
            out.write(b, 0, b.length);
        }

        void string(int field, String s) {
            bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        void message(int field, Proto m) {
            bytes(field, m.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
