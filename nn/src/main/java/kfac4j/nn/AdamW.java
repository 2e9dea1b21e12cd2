package kfac4j.nn;

import java.util.List;

/** Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's {@code optim.AdamW}; decay 0.01 by default. */
public final class AdamW extends Adam {
    public AdamW(List<Parameter> parameters, double lr) {
        super(parameters, lr, true, 0.01);
    }
}
