package carin.runtime;

/** Called by a {@link Switcher} whenever the selected design changes. */
public interface ChangeListener {
    /**
     * The selected design changed.
     *
     * <p>Called on the thread that called {@link Switcher#select} or {@link Switcher#observe},
     * while that thread holds the switcher's lock: keep it short (hand the new design to the
     * inference thread) and do not wait here for another thread that uses the switcher.
     *
     * @param now the new decision
     * @param previous the previous decision, or null for the first one
     */
    void onChange(Decision now, Decision previous);
}
