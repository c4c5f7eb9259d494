package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_dnn;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.StringVector;
import org.bytedeco.opencv.opencv_dnn.Net;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The two anchors of the layer and backbone benchmarks, each timing one ONNX graph (input "x",
 * NCHW float32) on the CPU: min and median milliseconds of {@code reps} runs after {@code warmup},
 * or a {@link Runner} for benchmarks that interleave their contenders' runs.
 */
final class Anchors {

    private Anchors() {
    }

    /** A graph loaded once for one thread count, run as many times as asked, then closed. */
    interface Runner extends Runnable, AutoCloseable {
        @Override
        void close();
    }

    /** ONNX Runtime with {@code threads} intra-op threads. */
    static double[] ort(byte[] model, float[] x, long[] shape, int warmup, int reps, int threads) throws OrtException {
        try (Runner r = ortRunner(model, x, shape, threads)) {
            return BenchUtil.minMedianMillis(warmup, reps, r);
        }
    }

    /** OpenCV's DNN module (its own CPU backend) with {@code threads} threads, every graph output computed. */
    static double[] opencv(byte[] model, float[] x, long[] shape, int warmup, int reps, int threads) {
        try (Runner r = opencvRunner(model, x, shape, threads)) {
            return BenchUtil.minMedianMillis(warmup, reps, r);
        }
    }

    /** {@link #ort}'s session and input, kept open: one {@code run()} is one forward pass. */
    static Runner ortRunner(byte[] model, float[] x, long[] shape, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession s = BenchUtil.ortSession(model, threads);
        OnnxTensor tx;
        try {
            tx = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
        } catch (OrtException e) {
            s.close();
            throw e;
        }
        Map<String, OnnxTensor> feed = Map.of("x", tx);
        return new Runner() {
            @Override
            public void run() {
                try (OrtSession.Result res = s.run(feed)) {
                    res.get(0);
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void close() {
                tx.close();
                try {
                    s.close();
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** {@link #opencv}'s network and input, kept open: one {@code run()} is one forward pass. */
    static Runner opencvRunner(byte[] model, float[] x, long[] shape, int threads) {
        opencv_core.setNumThreads(threads);
        BytePointer buf = new BytePointer(model);
        Net net = opencv_dnn.readNetFromONNX(buf, model.length);
        FloatPointer data = new FloatPointer(x);
        Mat in = new Mat(new int[] {(int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]}, opencv_core.CV_32F, data);
        net.setPreferableBackend(opencv_dnn.DNN_BACKEND_OPENCV);
        net.setPreferableTarget(opencv_dnn.DNN_TARGET_CPU);
        StringVector names = net.getUnconnectedOutLayersNames();
        return new Runner() {
            @Override
            public void run() {
                opencv_core.setNumThreads(threads);   /* process-wide: another runner may have set its own */
                net.setInput(in);
                try (MatVector outs = new MatVector()) {
                    net.forward(outs, names);
                }
            }

            @Override
            public void close() {
                names.close();
                in.close();
                data.close();
                net.close();
                buf.close();
            }
        };
    }
}
