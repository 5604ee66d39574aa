package carin.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Numbers as Python's {@code format(x, "g")} and {@code format(x, ".4g")} write them, so that
 * {@link Switcher#explain} gives the Python switcher's text character for character: the value
 * rounded correctly (half to even, on its exact binary value) to the given significant digits,
 * in fixed notation when the decimal exponent is in {@code [-4, precision)}, else as {@code
 * 1.5e+07}, trailing zeros dropped; {@code inf}, {@code -inf}, {@code nan}, {@code -0}.
 */
final class PyFormat {
    private PyFormat() {}

    // enough digits that a quotient of the switcher's integers rounds to the correct double
    private static final MathContext QUOTIENT = new MathContext(100, RoundingMode.HALF_EVEN);

    /** {@code format(x, "g")}: 6 significant digits. */
    static String g(double x) {
        return g(x, 6);
    }

    /** {@code format(x, "." + precision + "g")}. */
    static String g(double x, int precision) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        int p = Math.max(precision, 1);
        boolean negative = x < 0.0 || x == 0.0 && 1.0 / x < 0.0;
        String sign = negative ? "-" : "";
        if (x == 0.0) {
            return sign + "0";
        }
        BigDecimal rounded = new BigDecimal(Math.abs(x)).round(new MathContext(p, RoundingMode.HALF_EVEN));
        String digits = rounded.unscaledValue().toString();
        int exp = digits.length() - 1 - rounded.scale();
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        digits = digits.substring(0, end);
        StringBuilder out = new StringBuilder(sign);
        if (exp >= -4 && exp < p) {
            if (exp >= 0) {
                if (digits.length() <= exp + 1) {
                    out.append(digits);
                    for (int k = digits.length(); k <= exp; k++) {
                        out.append('0');
                    }
                } else {
                    out.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length());
                }
            } else {
                out.append("0.");
                for (int k = -1; k > exp; k--) {
                    out.append('0');
                }
                out.append(digits);
            }
            return out.toString();
        }
        out.append(digits.charAt(0));
        if (digits.length() > 1) {
            out.append('.').append(digits, 1, digits.length());
        }
        int e = Math.abs(exp);
        out.append('e').append(exp < 0 ? '-' : '+').append(e < 10 ? "0" : "").append(e);
        return out.toString();
    }

    /** {@code a / b} correctly rounded to a double, as Python's true division of integers. */
    static double ratio(BigInteger a, BigInteger b) {
        return new BigDecimal(a).divide(new BigDecimal(b), QUOTIENT).doubleValue();
    }
}
