package dev.nativeext.ops;

/**
 * The focal loss written from docs/ops.md §7 in double: p = 1/(1+exp(-x)) and 1-p = 1/(1+exp(x)) (not
 * 1 - p, which cancels for x ≳ 15), log p = -log1p(exp(-x)), log(1-p) = -log1p(exp(x)); the loss
 * from its definition and the gradient from §7's closed forms (soft targets: by the product rule).
 * Fine for the moderate logits the comparisons use; the stable forms are tested separately.
 */
final class SigmoidFocalLossReference {

    private SigmoidFocalLossReference() {
    }

    /** Target of element (i, j): labels (0 bg, 1..C, -1 ignore → NaN) or dense. */
    static double target(long[] labels, double[] dense, int i, int j, int c) {
        if (labels != null) return labels[i] < 0 ? Double.NaN : labels[i] == j + 1 ? 1 : 0;
        return dense[i * c + j];
    }

    static double loss(double x, double t, double gamma, double alpha) {
        double p = 1 / (1 + Math.exp(-x)), q = 1 / (1 + Math.exp(x));
        double at = alpha < 0 ? 1 : alpha * t + (1 - alpha) * (1 - t);
        double bce = -(t * logP(x) + (1 - t) * log1mP(x));
        return at * Math.pow(t * q + (1 - t) * p, gamma) * bce;  // 1 - p_t = t(1-p) + (1-t)p
    }

    static double logP(double x) {
        return -Math.log1p(Math.exp(-x));
    }

    static double log1mP(double x) {
        return -Math.log1p(Math.exp(x));
    }

    static double grad(double x, double t, double gamma, double alpha) {
        double p = 1 / (1 + Math.exp(-x)), q = 1 / (1 + Math.exp(x));
        double at = alpha < 0 ? 1 : alpha * t + (1 - alpha) * (1 - t);
        if (t == 1) return -at * Math.pow(q, gamma) * (q - gamma * p * logP(x));
        if (t == 0) return -at * Math.pow(p, gamma) * (gamma * q * log1mP(x) - p);
        double m = t * q + (1 - t) * p;                   // 1 - p_t
        double bce = -(t * logP(x) + (1 - t) * log1mP(x));
        double dm = -p * q * (2 * t - 1);                 // d(1 - p_t)/dx
        return at * ((p - t) * Math.pow(m, gamma) + bce * gamma * Math.pow(m, gamma - 1) * dm);
    }

    static double[] forward(double[] x, long[] labels, double[] dense, int n, int c, double gamma, double alpha) {
        double[] out = new double[n * c];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                double t = target(labels, dense, i, j, c);
                out[i * c + j] = Double.isNaN(t) ? 0 : loss(x[i * c + j], t, gamma, alpha);
            }
        }
        return out;
    }

    static double[] backward(double[] x, long[] labels, double[] dense, int n, int c, double gamma, double alpha, double[] g) {
        double[] out = new double[n * c];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                double t = target(labels, dense, i, j, c);
                out[i * c + j] = Double.isNaN(t) ? 0 : g[i * c + j] * grad(x[i * c + j], t, gamma, alpha);
            }
        }
        return out;
    }
}
