package carin.runtime;

/**
 * A plan (or a condition set read from JSON) is malformed.
 *
 * <p>The message starts with the offending field, as the Python validator words it, e.g.
 * {@code designs[3].parts[0].processor: expected a string}; {@link #getField()} returns that
 * field path alone ({@code plan} when the text is not a JSON object at all).
 */
public final class PlanException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    PlanException(String field, String what) {
        super(field + ": " + what);
        this.field = field;
    }

    /** The path of the offending field, e.g. {@code constraints[0].value}. */
    public String getField() {
        return field;
    }
}
