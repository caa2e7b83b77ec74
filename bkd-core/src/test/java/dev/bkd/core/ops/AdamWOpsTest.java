package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.djl.Autograd;
import org.junit.jupiter.api.Test;

/**
 * {@link Ops#adamw} on both backends against torch.optim.AdamW's update written out in double precision here
 * (independent of either backend): decoupled decay, moment lerp/addcmul, bias-corrected denominator with eps after
 * the square root. Five steps, beta1 0.9 (the lerp's w &lt; 0.5 branch) and 0.3 (its other branch).
 */
class AdamWOpsTest {
    private static final double LR = 1e-2;
    private static final double WD = 1e-2;
    private static final double EPS = 1e-8;

    @Test
    void bothBackendsFollowTorchsAdamWUpdate() {
        for (double beta1 : new double[] {0.9, 0.3}) {
            for (boolean torch : new boolean[] {true, false}) {
                check(beta1, 0.999, torch);
            }
        }
    }

    private static void check(double beta1, double beta2, boolean torch) {
        try (NDManager m = NDManager.newBaseManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            int n = 257;
            NDArray p = m.randomNormal(new Shape(n));
            NDArray mom = m.zeros(new Shape(n));
            NDArray sq = m.zeros(new Shape(n));
            double[] wp = toDouble(p.toFloatArray());
            double[] wm = new double[n];
            double[] wv = new double[n];
            for (int step = 1; step <= 5; step++) {
                NDArray g = m.randomNormal(new Shape(n));
                double[] wg = toDouble(g.toFloatArray());
                double bc1 = 1 - Math.pow(beta1, step);
                double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
                AdamWStep s = new AdamWStep(LR, WD, beta1, beta2, EPS, LR / bc1, bc2Sqrt);
                if (torch) {
                    TorchScriptOps.adamw(p, g, mom, sq, s);
                } else {
                    DjlOps.adamw(p, g, mom, sq, s);
                }
                for (int i = 0; i < n; i++) {
                    wp[i] *= 1 - LR * WD;
                    wm[i] = beta1 * wm[i] + (1 - beta1) * wg[i];
                    wv[i] = beta2 * wv[i] + (1 - beta2) * wg[i] * wg[i];
                    wp[i] -= LR / bc1 * wm[i] / (Math.sqrt(wv[i]) / bc2Sqrt + EPS);
                }
            }
            String where = (torch ? "TorchScript" : "DJL") + " backend, beta1 " + beta1;
            assertClose(wp, p.toFloatArray(), where + ", parameter");
            assertClose(wm, mom.toFloatArray(), where + ", exp_avg");
            assertClose(wv, sq.toFloatArray(), where + ", exp_avg_sq");
        }
    }

    /**
     * float32 arithmetic over five steps, as AdamWTest allows: 2e-6 of max(1, |value|), since the moments are sums
     * of unit-scale terms that can cancel to near zero (a relative bound there would measure the cancellation).
     */
    private static void assertClose(double[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(want[i] - got[i]);
            assertTrue(err <= 2e-6 * Math.max(1, Math.abs(want[i])), what + " element " + i + ": want " + want[i]
                    + ", got " + got[i]);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
