package carin.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Exact decimal arithmetic of the switcher, as Python's {@code carin/runtime/_exact.py}
 * ({@code docs/plan-format.md}, "Exact decisions"). Every conversion from a double to an
 * integer is one IEEE double operation followed by {@link Math#rint} (round half to even, as
 * Python's {@code round}), or exact integer arithmetic, so both languages get the same
 * integers.
 */
final class Exact {
    private Exact() {}

    /** Most decimal places a metric is read with. */
    static final int MAX_DECIMALS = 12;
    /** Decimal places of a slowdown factor. */
    static final int FACTOR_PLACES = 6;
    /** Units of a factor of 1. */
    static final double FACTOR_ONE = 1e6;
    /** Plan values stay below this many units. */
    static final long EXACT_LIMIT = 1L << 50;

    private static final double SEARCH_LIMIT = (double) (1L << 51);
    /** 10^e as exact doubles, e = 0..22. */
    static final double[] POW10 = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22
    };

    /**
     * A slowdown factor in units of 10^-6: {@code rint(f * 1e6)} as an integer-valued double;
     * {@code 1e6} (no slowdown) when {@code f} is not above 1 or NaN; infinity stays infinity.
     */
    static double factorUnits(double f) {
        if (!(f > 1.0)) {
            return FACTOR_ONE;
        }
        return Math.rint(f * 1e6);
    }

    /**
     * The decimal {@code x} was written as: {@code {m, e}} meaning {@code m / 10^e}, with the
     * fewest places {@code e <= 22} such that {@code r = rint(|x| * 10^e) < 2^51} and {@code r /
     * 10^e == |x|}; null when there is none (a computed value, read as its exact binary value).
     */
    static long[] writtenDecimal(double x) {
        double ax = Math.abs(x);
        for (int e = 0; e < POW10.length; e++) {
            double s = POW10[e];
            double p = ax * s;
            if (!(p < SEARCH_LIMIT)) {
                return null;
            }
            double r = Math.rint(p);
            if (r / s == ax) {
                long m = (long) r;
                return new long[] {x < 0.0 ? -m : m, e};
            }
        }
        return null;
    }

    /**
     * {@code floor(x * 10^places * mult)} ({@code ceil} when not {@code floor}) with {@code x}
     * finite and read as written ({@link #writtenDecimal}, else its exact binary value).
     */
    static BigInteger limitUnits(double x, int places, long mult, boolean floor) {
        BigInteger scale = BigInteger.TEN.pow(places).multiply(BigInteger.valueOf(mult));
        long[] dec = writtenDecimal(x);
        BigDecimal exact = dec == null
                ? new BigDecimal(x)
                : BigDecimal.valueOf(dec[0], (int) dec[1]);
        return exact.multiply(new BigDecimal(scale))
                .setScale(0, floor ? RoundingMode.FLOOR : RoundingMode.CEILING)
                .toBigIntegerExact();
    }

    /**
     * A memory budget in units, {@code floor(x * 10^places * mult)}, clamped to {@code [-1,
     * 2^62]} (exact for values in {@code [0, 2^62)}); -1 for NaN and negative infinity.
     */
    static long budgetUnits(double x, int places, long mult) {
        if (x != x || x == Double.NEGATIVE_INFINITY) {
            return -1;
        }
        if (x == Double.POSITIVE_INFINITY) {
            return 1L << 62;
        }
        long[] dec = writtenDecimal(x);
        if (dec != null && dec[1] <= places && places - dec[1] <= 18) {
            long s = (long) POW10[(int) (places - dec[1])];
            long m = dec[0];
            long bound = (1L << 62) / s / mult;
            if (m >= 0 && m <= bound) {
                return m * s * mult;
            }
        }
        return clamp(limitUnits(x, places, mult, true));
    }

    private static final BigInteger TOP = BigInteger.ONE.shiftLeft(62);

    static long clamp(BigInteger v) {
        if (v.signum() < 0) {
            return -1;
        }
        return v.compareTo(TOP) > 0 ? 1L << 62 : v.longValue();
    }

    /** A plan value in units: {@code rint(x * scale)} ({@code scale} an exact double). */
    static double valueUnits(double x, double scale) {
        return Math.rint(x * scale);
    }

    /** Fewest places (at most {@code cap}) at which every value is exactly a decimal. */
    static int placesOf(double[] values, int count, int cap) {
        int most = 0;
        for (int i = 0; i < count; i++) {
            double v = values[i];
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                continue;
            }
            int d = 0;
            while (d <= cap) {
                double p = v * POW10[d];
                if (Math.abs(p) < Double.POSITIVE_INFINITY && Math.rint(p) / POW10[d] == v) {
                    break;
                }
                d++;
            }
            most = Math.max(most, Math.min(d, cap));
        }
        return most;
    }

    /** An integer-valued double (a factor's units) as an exact BigInteger. */
    static BigInteger big(double integral) {
        return new BigDecimal(integral).toBigIntegerExact();
    }
}
