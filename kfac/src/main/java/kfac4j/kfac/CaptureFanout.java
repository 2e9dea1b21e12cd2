package kfac4j.kfac;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

import kfac4j.autograd.Variable;
import kfac4j.nn.CaptureListener;
import kfac4j.nn.SharedRows;
import kfac4j.nn.WeightSharingLinear;

/**
 * The one listener a layer can hold, shared by every {@link CurvatureCapture} that watches the layer: an optimizer
 * training a model and a curvature operator computed on the same model in between keep their own state without
 * switching each other off. The layer's listener is set when the first capture attaches and removed when the last one
 * detaches, so the layer's call numbers keep counting up while anyone listens. Layers and captures are held weakly:
 * an optimizer that is dropped without {@code close()} does not keep its model alive here.
 */
final class CaptureFanout implements CaptureListener {
    private static final Map<WeightSharingLinear, CaptureFanout> ACTIVE = new WeakHashMap<>();

    private final List<WeakReference<CaptureListener>> listeners = new ArrayList<>();

    private CaptureFanout() {
    }

    static synchronized void attach(WeightSharingLinear layer, CaptureListener listener) {
        CaptureFanout f = ACTIVE.get(layer);
        if (f == null) {
            f = new CaptureFanout();
            ACTIVE.put(layer, f);
            layer.setCaptureListener(f);
        }
        for (CaptureListener l : f.live()) if (l == listener) return;
        f.listeners.add(new WeakReference<>(listener));
    }

    static synchronized void detach(WeightSharingLinear layer, CaptureListener listener) {
        CaptureFanout f = ACTIVE.get(layer);
        if (f == null) return;
        f.listeners.removeIf(r -> r.get() == null || r.get() == listener);
        if (f.listeners.isEmpty()) {
            ACTIVE.remove(layer);
            layer.setCaptureListener(null);
        }
    }

    private synchronized List<CaptureListener> live() {
        List<CaptureListener> out = new ArrayList<>();
        listeners.removeIf(r -> r.get() == null);
        for (WeakReference<CaptureListener> r : listeners) {
            CaptureListener l = r.get();
            if (l != null) out.add(l);
        }
        return out;
    }

    @Override
    public void onInput(WeightSharingLinear layer, int call, SharedRows input) {
        for (CaptureListener l : live()) l.onInput(layer, call, input);
    }

    @Override
    public void onOutput(WeightSharingLinear layer, int call, Variable output) {
        for (CaptureListener l : live()) l.onOutput(layer, call, output);
    }

    @Override
    public void onOutputGrad(WeightSharingLinear layer, int call, SharedRows outputGrad) {
        for (CaptureListener l : live()) l.onOutputGrad(layer, call, outputGrad);
    }

    @Override
    public boolean keepsOutputGrads(WeightSharingLinear layer) {
        for (CaptureListener l : live()) if (l.keepsOutputGrads(layer)) return true;
        return false;
    }
}
