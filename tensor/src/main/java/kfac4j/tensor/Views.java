package kfac4j.tensor;

/** Stride arithmetic for views that share storage. */
final class Views {
    private Views() {
    }

    /**
     * Strides that read a tensor of {@code shape}/{@code strides} as {@code target} without copying, or null when its
     * layout does not allow it. Works axis group by axis group: each run of target axes must cover a run of source axes
     * that are laid out as one contiguous block (each stride = next stride × next size).
     */
    static int[] reshapeStrides(int[] shape, int[] strides, int[] target) {
        int n = Shapes.numel(shape);
        if (n == 0) return Shapes.contiguousStrides(target);
        // Drop size-1 source axes: they impose no layout constraint.
        int m = 0;
        int[] s = new int[shape.length], st = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                s[m] = shape[i];
                st[m++] = strides[i];
            }
        }
        int[] out = new int[target.length];
        int si = 0, ti = 0;
        while (ti < target.length) {
            if (target[ti] == 1) {
                out[ti] = si < m ? st[si] * s[si] : 1;
                ti++;
                continue;
            }
            // Gather source axes [si, sj) whose product equals the product of target axes [ti, tj).
            long sp = s[si], tp = target[ti];
            int sj = si + 1, tj = ti + 1;
            while (sp != tp) {
                if (sp < tp) sp *= s[sj++];
                else tp *= target[tj++];
            }
            for (int k = si; k < sj - 1; k++) {
                if (st[k] != st[k + 1] * s[k + 1]) return null;
            }
            // Lay the target axes of this group over the innermost source stride.
            int stride = st[sj - 1];
            for (int k = tj - 1; k >= ti; k--) {
                out[k] = stride;
                stride *= target[k];
            }
            si = sj;
            ti = tj;
        }
        return out;
    }

    static int[] remove(int[] a, int index) {
        int[] out = new int[a.length - 1];
        System.arraycopy(a, 0, out, 0, index);
        System.arraycopy(a, index + 1, out, index, a.length - index - 1);
        return out;
    }

    static int[] insert(int[] a, int index, int value) {
        int[] out = new int[a.length + 1];
        System.arraycopy(a, 0, out, 0, index);
        out[index] = value;
        System.arraycopy(a, index, out, index + 1, a.length - index);
        return out;
    }
}
