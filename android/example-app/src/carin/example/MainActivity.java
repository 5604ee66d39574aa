package carin.example;

import android.app.Activity;
import android.app.ActivityManager;
import android.content.BroadcastReceiver;
import android.content.ComponentCallbacks2;
import android.content.Context;
import android.content.Intent;
import android.content.IntentFilter;
import android.os.BatteryManager;
import android.os.Bundle;
import android.os.PowerManager;
import android.os.SystemClock;
import android.widget.TextView;
import carin.runtime.ChangeListener;
import carin.runtime.Decision;
import carin.runtime.Plan;
import carin.runtime.PlanException;
import carin.runtime.Switcher;
import java.io.IOException;
import java.io.InputStream;

/**
 * Loads the plan shipped in assets/plan.json, runs the selected design on an inference
 * thread and maps Android's signals (memory trim, battery saver, battery temperature,
 * delegate failures) to the switcher's conditions.
 */
public final class MainActivity extends Activity {
    private TextView status;
    private Switcher switcher;
    private Signals signals;
    private InferenceLoop loop;
    private int batteryTenthsC;
    private final BroadcastReceiver power = new BroadcastReceiver() {
        @Override
        public void onReceive(Context context, Intent intent) {
            updatePower(intent);
        }
    };

    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        setContentView(R.layout.main);
        status = (TextView) findViewById(R.id.status);
        try {
            InputStream in = getAssets().open("plan.json");
            try {
                switcher = new Switcher(Plan.read(in));
            } finally {
                in.close();
            }
        } catch (IOException | PlanException e) {
            status.setText("cannot load assets/plan.json: " + e.getMessage());
            return;
        }
        signals = new Signals(switcher);
        switcher.addListener(new ChangeListener() {
            @Override
            public void onChange(Decision now, Decision previous) {
                show("design " + now.designId() + (now.meetsSlo() ? "" : " (fallback)") + " under "
                        + now.conditions());
            }
        });
        switcher.select(signals.conditions());
    }

    @Override
    protected void onResume() {
        super.onResume();
        if (switcher == null) {
            return;
        }
        IntentFilter filter = new IntentFilter(Intent.ACTION_BATTERY_CHANGED);
        filter.addAction(PowerManager.ACTION_POWER_SAVE_MODE_CHANGED);
        updatePower(registerReceiver(power, filter));
        loop = new InferenceLoop(getAssets(), switcher, signals, new InferenceLoop.Status() {
            @Override
            public void show(String line) {
                MainActivity.this.show(line);
            }
        });
        loop.start();
    }

    @Override
    protected void onPause() {
        if (loop != null) {
            unregisterReceiver(power);
            try {
                loop.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop = null;
        }
        super.onPause();
    }

    @Override
    public void onTrimMemory(int level) {
        super.onTrimMemory(level);
        if (signals != null) {
            ActivityManager.MemoryInfo info = new ActivityManager.MemoryInfo();
            ((ActivityManager) getSystemService(ACTIVITY_SERVICE)).getMemoryInfo(info);
            signals.onTrimMemory(level, info.availMem / 1048576.0, SystemClock.elapsedRealtime());
        }
    }

    @Override
    public void onLowMemory() {
        onTrimMemory(ComponentCallbacks2.TRIM_MEMORY_COMPLETE);
    }

    private void updatePower(Intent intent) {
        if (signals == null) {
            return;
        }
        if (intent != null && Intent.ACTION_BATTERY_CHANGED.equals(intent.getAction())) {
            batteryTenthsC = intent.getIntExtra(BatteryManager.EXTRA_TEMPERATURE, 0);
        }
        PowerManager pm = (PowerManager) getSystemService(POWER_SERVICE);
        signals.onPower(pm.isPowerSaveMode(), batteryTenthsC);
    }

    private void show(final String line) {
        runOnUiThread(new Runnable() {
            @Override
            public void run() {
                status.setText(line);
            }
        });
    }
}
