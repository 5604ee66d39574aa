package carin.runtime;

/**
 * Standard-normal quantiles with arithmetic and {@code sqrt} only, so that the Java and Python
 * switchers compute the same bits (a port of {@code normal_quantile} in
 * {@code carin/runtime/_monitor.py}: Wichura's AS241 rational approximations; the logarithm
 * is an explicit series, not {@code Math.log}, whose last bit may differ from the C library's).
 */
final class NormalQuantile {
    private NormalQuantile() {}

    private static final double[] A = {3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
        13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105,
        2509.0809287301226727};
    private static final double[] B = {1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
        21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925};
    private static final double[] C = {1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
        3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833,
        7.7454501427834140764e-4};
    private static final double[] D = {1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
        0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9};
    private static final double[] E = {6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
        0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5,
        2.01033439929228813265e-7};
    private static final double[] F = {1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
        7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15};
    private static final double LN2 = 0.6931471805599453;
    private static final double SQRT_HALF = 0.7071067811865476;

    private static double poly(double[] c, double r) {
        double acc = c[7];
        for (int k = 6; k >= 0; k--) {
            acc = acc * r + c[k];
        }
        return acc;
    }

    /** Natural logarithm of a positive finite x, as {@code _log} in Python. */
    static double log(double x) {
        int shift = 0;
        if (x < Double.MIN_NORMAL) {
            x *= 18014398509481984.0; // 2**54, exact: brings a subnormal into the normal range
            shift = -54;
        }
        int e = Math.getExponent(x) + 1;
        double m = Math.scalb(x, -e); // exact, m in [0.5, 1) as math.frexp gives
        e += shift;
        if (m < SQRT_HALF) {
            m *= 2.0;
            e -= 1;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double acc = 1.0 / 33.0;
        for (int k = 15; k >= 0; k--) {
            acc = acc * s2 + 1.0 / (2 * k + 1);
        }
        return e * LN2 + 2.0 * s * acc;
    }

    /** Phi^-1(p) for 0 < p < 1. */
    static double quantile(double p) {
        if (!(p > 0.0 && p < 1.0)) {
            throw new IllegalArgumentException("p=" + p + " must be in (0, 1)");
        }
        double q = p - 0.5;
        if (Math.abs(q) <= 0.425) {
            double r = 0.180625 - q * q;
            return q * poly(A, r) / poly(B, r);
        }
        double r = q < 0.0 ? p : 1.0 - p;
        r = Math.sqrt(-log(r));
        double x;
        if (r <= 5.0) {
            r -= 1.6;
            x = poly(C, r) / poly(D, r);
        } else {
            r -= 5.0;
            x = poly(E, r) / poly(F, r);
        }
        return q < 0.0 ? -x : x;
    }
}
