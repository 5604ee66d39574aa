package carin.runtime;

/**
 * The standard-normal distribution function {@code Phi(x) = P(Z <= x)}, for {@link
 * Switcher#missProbability} (the Python switcher calls {@code statistics.NormalDist().cdf}, which
 * Java's standard library has no counterpart of; {@link NormalQuantile} is the inverse).
 *
 * <p>Algorithm: W. J. Cody's rational Chebyshev approximations of the normal integral (Cody,
 * "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-637;
 * the coefficients of his routine ANORM in SPECFUN): one rational function of {@code x^2} for
 * {@code |x| <= 0.66291}, one of {@code |x|} times {@code exp(-x^2/2)} up to {@code sqrt(32)},
 * and one of {@code 1/x^2} beyond. The Gaussian factor is evaluated as {@code exp(-h^2/2) *
 * exp(-(|x|-h)(|x|+h)/2)} with {@code h} = {@code |x|} cut to a multiple of 1/16, so that
 * {@code h^2} is exact and no precision is lost to the rounding of {@code x^2}. Both tails keep
 * their relative precision (the smaller of {@code Phi(x)} and {@code 1 - Phi(x)} is computed
 * directly). {@code StrictMath.exp} makes the result the same on every JVM and on Android.
 * Measured against Python's values on a grid (the differential test): see {@code
 * docs/android.md}.
 */
final class NormalCdf {
    private NormalCdf() {}

    private static final double[] A = {2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
        18154.981253343561249, 0.065682337918207449113};
    private static final double[] B = {47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
        45507.789335026729956};
    private static final double[] C = {0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
        597.27027639480026226, 2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124,
        9842.7148383839780218, 1.0765576773720192317e-8};
    private static final double[] D = {22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
        6485.558298266760755, 18615.571640885098091, 34900.952721145977266, 38912.003286093271411,
        19685.429676859990727};
    private static final double[] P = {0.21589853405795699, 0.1274011611602473639, 0.022235277870649807,
        0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303};
    private static final double[] Q = {1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
        0.00378239633202758244, 7.29751555083966205e-5};
    /** 1 / sqrt(2 pi). */
    private static final double INV_SQRT_2PI = 0.39894228040143267794;
    /** Where the first approximation ends (Phi is 0.75 there). */
    private static final double SMALL = 0.66291;
    /** sqrt(32): where the second approximation ends. */
    private static final double MEDIUM = 5.656854249492380195;
    /** Below this |x|, x^2 does not change the first approximation (half the machine epsilon). */
    private static final double TINY = 1.1102230246251565e-16;

    /** {@code Phi(x)}; 0 at minus infinity, 1 at plus infinity, NaN for NaN. */
    static double cdf(double x) {
        return tail(x, true);
    }

    /** {@code 1 - Phi(x)}, computed directly (full relative precision for large x). */
    static double upper(double x) {
        return tail(x, false);
    }

    private static double tail(double x, boolean lower) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (Double.isInfinite(x)) {
            return (x > 0) == lower ? 1.0 : 0.0;
        }
        double y = Math.abs(x);
        if (y <= SMALL) {
            double xsq = y > TINY ? x * x : 0.0;
            double num = A[4] * xsq;
            double den = xsq;
            for (int i = 0; i < 3; i++) {
                num = (num + A[i]) * xsq;
                den = (den + B[i]) * xsq;
            }
            double t = x * (num + A[3]) / (den + B[3]);
            return lower ? 0.5 + t : 0.5 - t;
        }
        double r;
        if (y <= MEDIUM) {
            double num = C[8] * y;
            double den = y;
            for (int i = 0; i < 7; i++) {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }
            r = (num + C[7]) / (den + D[7]);
        } else {
            double z = 1.0 / (x * x);
            double num = P[5] * z;
            double den = z;
            for (int i = 0; i < 4; i++) {
                num = (num + P[i]) * z;
                den = (den + Q[i]) * z;
            }
            r = z * (num + P[4]) / (den + Q[4]);
            r = (INV_SQRT_2PI - r) / y;
        }
        double h = Math.floor(y * 16.0) / 16.0;
        double rest = (y - h) * (y + h);
        double small = StrictMath.exp(-h * h * 0.5) * StrictMath.exp(-rest * 0.5) * r;
        // small is the tail on x's side: Phi(x) for x < 0, 1 - Phi(x) for x > 0
        return (x < 0) == lower ? small : 1.0 - small;
    }
}
