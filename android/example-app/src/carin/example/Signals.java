package carin.example;

import android.content.ComponentCallbacks2;
import carin.runtime.Conditions;
import carin.runtime.Decision;
import carin.runtime.Switcher;

/**
 * Turns Android's signals into the switcher's conditions.
 *
 * <p>The app owns one condition set; each callback changes its part and re-selects. The
 * mapping is a policy of this example (see android/example-app/README.md): memory trim levels
 * become a memory budget for a while, a delegate that fails to load makes its processor
 * unavailable for the rest of the process, and battery saver or a hot battery (API 23 has no
 * thermal status API; that came with API 29) become a slowdown of the CPU-side processors.
 * Slowdowns that no signal announces are the drift monitor's job: the inference loop feeds it
 * every measured latency. Thread-safe: callbacks arrive on the main thread, delegate failures
 * on the inference thread.
 */
final class Signals {
    /** How long a memory budget from a trim callback holds (no callback says that it is over). */
    static final long MEMORY_BUDGET_HOLD_MS = 30000;
    /** Battery temperature from which the CPU-side processors count as throttled. */
    static final int HOT_BATTERY_TENTHS_C = 450;

    private final Switcher switcher;
    private Conditions conditions = Conditions.NOMINAL;
    private long memoryBudgetUntil;

    Signals(Switcher switcher) {
        this.switcher = switcher;
    }

    /**
     * The memory budget (MB) a trim level leaves to inference while the app runs in the
     * foreground: a share of the memory the system reports available. NaN for the levels sent
     * when the app is hidden or in the background (the inference loop is paused then).
     */
    static double memoryBudgetMb(int level, double availableMb) {
        switch (level) {
            case ComponentCallbacks2.TRIM_MEMORY_RUNNING_MODERATE:
                return availableMb / 8.0;
            case ComponentCallbacks2.TRIM_MEMORY_RUNNING_LOW:
                return availableMb / 16.0;
            case ComponentCallbacks2.TRIM_MEMORY_RUNNING_CRITICAL:
            case ComponentCallbacks2.TRIM_MEMORY_COMPLETE: // also what onLowMemory reports
                return availableMb / 32.0;
            default:
                return Double.NaN;
        }
    }

    synchronized Decision onTrimMemory(int level, double availableMb, long nowMs) {
        double budget = memoryBudgetMb(level, availableMb);
        if (Double.isNaN(budget)) {
            return switcher.current();
        }
        memoryBudgetUntil = nowMs + MEMORY_BUDGET_HOLD_MS;
        return apply(conditions.toBuilder().memoryBudgetMb(budget).build());
    }

    /** A delegate (GPU, NNAPI, XNNPACK) could not be created: its processor is gone. */
    synchronized Decision onProcessorFailed(String processor) {
        return apply(conditions.toBuilder().unavailable(processor).build());
    }

    /** Battery saver caps the big cores; a hot battery means throttling is near. */
    synchronized Decision onPower(boolean powerSave, int batteryTenthsC) {
        Conditions.Builder b = conditions.toBuilder();
        for (String p : new String[] {"cpu", "xnnpack", "gpu"}) {
            b.clearSlowdown(p);
        }
        double factor = powerSave ? 2.0 : batteryTenthsC >= HOT_BATTERY_TENTHS_C ? 1.5 : 1.0;
        if (factor > 1.0) {
            b.slowdown("cpu", factor).slowdown("xnnpack", factor);
            if (batteryTenthsC >= HOT_BATTERY_TENTHS_C) {
                b.slowdown("gpu", 1.5);
            }
        }
        return apply(b.build());
    }

    /** Called by the inference loop: drops a memory budget whose hold time is over. */
    synchronized void tick(long nowMs) {
        if (conditions.memoryBudgetMb() != null && nowMs >= memoryBudgetUntil) {
            apply(conditions.toBuilder().clearMemoryBudget().build());
        }
    }

    synchronized Conditions conditions() {
        return conditions;
    }

    private Decision apply(Conditions next) {
        conditions = next;
        return switcher.select(next);
    }
}
