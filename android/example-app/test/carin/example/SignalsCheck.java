package carin.example;

import android.content.ComponentCallbacks2;
import carin.runtime.Decision;
import carin.runtime.Plan;
import carin.runtime.Switcher;
import java.io.FileInputStream;
import java.io.InputStream;

/**
 * Runs on the JVM (build.sh): Android's signals, as Signals maps them, move the shipped plan's
 * decision as the README says. Signals uses only constants of the Android API, which javac
 * inlines, so it runs without a device.
 */
public final class SignalsCheck {
    private static void expect(String what, String want, Decision got) {
        if (!want.equals(got.designId())) {
            throw new AssertionError(what + ": expected " + want + ", got " + got + " under " + got.conditions());
        }
        System.out.println("SignalsCheck: " + what + " -> " + got.designId() + " under " + got.conditions());
    }

    public static void main(String[] args) throws Exception {
        InputStream in = new FileInputStream(args[0]);
        Switcher switcher;
        try {
            switcher = new Switcher(Plan.read(in));
        } finally {
            in.close();
        }
        Signals signals = new Signals(switcher);
        expect("nominal", "d0", switcher.select(signals.conditions()));
        // 48 MB left and a RUNNING_CRITICAL trim: 1.5 MB budget, no design fits -> fallback
        Decision low = signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_RUNNING_CRITICAL, 48.0, 0);
        expect("trim memory, critical", "d2", low);
        if (low.meetsSlo() || !low.isFallback()) {
            throw new AssertionError("a 1.5 MB budget holds no design: the fallback must be flagged");
        }
        // 48 MB and RUNNING_MODERATE: 6 MB, every design fits
        expect("trim memory, moderate", "d0", signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_RUNNING_MODERATE, 48.0, 0));
        expect("trim memory, UI hidden (no budget)", "d0",
                signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_UI_HIDDEN, 1.0, 0));
        expect("onLowMemory (complete)", "d2", signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_COMPLETE, 48.0, 0));
        expect("trim memory, moderate again", "d0",
                signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_RUNNING_MODERATE, 48.0, 0));
        // 48 MB and RUNNING_LOW: 3 MB; only d2 (built-in kernels, 2.58 MB) fits, and it meets the SLOs
        expect("trim memory, low", "d2", signals.onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_RUNNING_LOW, 48.0, 1000));
        signals.tick(1000 + Signals.MEMORY_BUDGET_HOLD_MS);
        if (signals.conditions().memoryBudgetMb() != null) {
            throw new AssertionError("the memory budget should expire");
        }
        expect("budget expired", "d0", switcher.current());
        // battery saver: cpu and xnnpack x2 -> d0 (3.29 us x2) misses 4 us; d1 (1.37 us x2) holds
        expect("battery saver", "d1", signals.onPower(true, 300));
        expect("battery saver off", "d0", signals.onPower(false, 300));
        expect("hot battery", "d1", signals.onPower(false, 460));
        signals.onPower(false, 300);
        // XNNPACK fails to load: its processor is gone for good -> d2 (built-in kernels)
        expect("delegate failure", "d2", signals.onProcessorFailed("XNNPACK"));
        expect("still gone after a power change", "d2", signals.onPower(false, 300));
    }
}
