package carin.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.json.JSONArray;
import org.json.JSONObject;

/** Type checks on decoded JSON values that word errors as the Python validator does. */
final class Json {
    private Json() {}

    static PlanException fail(String where, String what) {
        return new PlanException(where, what);
    }

    static String join(String where, String key) {
        return where.isEmpty() ? key : where + "." + key;
    }

    static boolean isNull(Object v) {
        return v == null || v == JSONObject.NULL;
    }

    /**
     * Python's {@code repr} of a string or null, as messages quote design ids: {@code 'd1'},
     * {@code "it's"}, {@code None}. Quotes as Python does (single, or double when the text holds
     * a single quote and no double one), escapes the backslash, that quote, tab, line feed and
     * carriage return, and writes characters that are not printable as a backslash then {@code
     * xNN}, {@code uNNNN} or {@code UNNNNNNNN}; printable non-ASCII characters stay as they are.
     * Printable is decided from
     * Java's Unicode tables (categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the space are
     * not), which may be of another Unicode version than Python's for recent characters.
     */
    static String repr(String v) {
        if (v == null) {
            return "None";
        }
        char quote = v.indexOf('\'') >= 0 && v.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder(v.length() + 2).append(quote);
        for (int i = 0; i < v.length(); ) {
            int c = v.codePointAt(i);
            i += Character.charCount(c);
            if (c == quote || c == '\\') {
                out.append('\\').appendCodePoint(c);
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c >= 0x20 && c < 0x7f || c >= 0x7f && printable(c)) {
                out.appendCodePoint(c);
            } else if (c <= 0xff) {
                out.append(String.format(Locale.ROOT, "\\x%02x", c));
            } else if (c <= 0xffff) {
                out.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                out.append(String.format(Locale.ROOT, "\\U%08x", c));
            }
        }
        return out.append(quote).toString();
    }

    /** Python's {@code str.isprintable} for one code point above ASCII. */
    private static boolean printable(int c) {
        switch (Character.getType(c)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /** Python-like rendering of a value in messages: 'text', None, True, 1.5 (as Python's {@code _show}). */
    static String show(Object v) {
        String text;
        if (isNull(v)) {
            text = "None";
        } else if (v instanceof String) {
            text = repr((String) v);
        } else if (v instanceof Boolean) {
            text = ((Boolean) v) ? "True" : "False";
        } else if (v instanceof Double) {
            double d = (Double) v;
            text = Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : v.toString();
        } else {
            text = String.valueOf(v);
        }
        return text.length() <= 24 ? text : text.substring(0, 20) + "...";
    }

    static JSONObject obj(Object v, String where) throws PlanException {
        if (!(v instanceof JSONObject)) {
            throw fail(where, "expected an object");
        }
        return (JSONObject) v;
    }

    static JSONArray list(Object v, String where, boolean nonempty) throws PlanException {
        if (!(v instanceof JSONArray)) {
            throw fail(where, "expected a list");
        }
        JSONArray a = (JSONArray) v;
        if (nonempty && a.length() == 0) {
            throw fail(where, "expected a non-empty list");
        }
        return a;
    }

    static String str(Object v, String where) throws PlanException {
        if (!(v instanceof String)) {
            throw fail(where, "expected a string");
        }
        if (((String) v).isEmpty()) {
            throw fail(where, "expected a non-empty string");
        }
        return (String) v;
    }

    static boolean isNumber(Object v) {
        return v instanceof Number;
    }

    /** A JSON number as a double (integers round to nearest, as Python's float(int)). */
    static double toDouble(Object v) {
        return ((Number) v).doubleValue();
    }

    /**
     * A number (null allowed when {@code nullable}); {@code finite} refuses NaN and infinities,
     * {@code minimum} (NaN = none) asks for {@code >= minimum}, {@code positive} for {@code > 0}.
     */
    static Double num(Object v, String where, boolean nullable, boolean finite, double minimum, boolean positive)
            throws PlanException {
        if (nullable && isNull(v)) {
            return null;
        }
        if (!isNumber(v)) {
            throw fail(where, nullable ? "expected a number or null" : "expected a number");
        }
        double d = toDouble(v);
        if (finite && (Double.isNaN(d) || Double.isInfinite(d))) {
            throw fail(where, "expected a finite number, got " + show(v));
        }
        if (!Double.isNaN(minimum) && !(d >= minimum)) {
            throw fail(where, "expected a number >= " + fmt(minimum) + ", got " + show(v));
        }
        if (positive && !(d > 0.0)) {
            throw fail(where, "expected a number > 0, got " + show(v));
        }
        return d;
    }

    static double number(Object v, String where) throws PlanException {
        return num(v, where, false, true, Double.NaN, false);
    }

    static String choice(Object v, String where, String... allowed) throws PlanException {
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        StringBuilder b = new StringBuilder("expected one of ");
        for (int i = 0; i < allowed.length; i++) {
            b.append(i == 0 ? "" : ", ").append('\'').append(allowed[i]).append('\'');
        }
        throw fail(where, b.append(", got ").append(show(v)).toString());
    }

    static Object required(JSONObject o, String key, String where) throws PlanException {
        if (!o.has(key)) {
            throw fail(join(where, key), "missing required field");
        }
        return o.opt(key);
    }

    /** {@code a, b, c} (String.join is absent from Android API 23). */
    static String joined(String[] parts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            b.append(i == 0 ? "" : ", ").append(parts[i]);
        }
        return b.toString();
    }

    /** 0 -> "0", 1.5 -> "1.5" (Python's :g for the values messages show). */
    static String fmt(double d) {
        if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }

    /** Decoded JSON as plain unmodifiable Java values (Map, List, String, Number, Boolean, null). */
    static Object plain(Object v) {
        if (isNull(v)) {
            return null;
        }
        if (v instanceof JSONObject) {
            JSONObject o = (JSONObject) v;
            Map<String, Object> out = new LinkedHashMap<String, Object>();
            Iterator<String> keys = o.keys();
            while (keys.hasNext()) {
                String k = keys.next();
                out.put(k, plain(o.opt(k)));
            }
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof JSONArray) {
            JSONArray a = (JSONArray) v;
            List<Object> out = new ArrayList<Object>(a.length());
            for (int i = 0; i < a.length(); i++) {
                out.add(plain(a.opt(i)));
            }
            return Collections.unmodifiableList(out);
        }
        return v;
    }
}
