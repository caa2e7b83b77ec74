package dev.bkd.models.eval;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets, as pytorch-fid's
 * {@code calculate_frechet_distance} defines it: d² = ‖μ1−μ2‖² + tr Σ1 + tr Σ2 − 2·tr sqrtm(Σ1Σ2). FID uses
 * Inception pool3 features, FD-CLIP CLIP image embeddings.
 *
 * <p>tr sqrtm(Σ1Σ2) is computed without a general (complex) matrix square root: Σ1Σ2 is similar to the symmetric
 * positive semi-definite Σ1^½ Σ2 Σ1^½, so the trace is Σ√max(λ_i, 0) over that matrix's eigenvalues. Two
 * symmetric eigen-decompositions in double are stable where scipy's sqrtm needs its complex fallback and
 * pytorch-fid its 1e-6 diagonal retry (rank-deficient Σ from fewer samples than dimensions).
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** Mean and covariance (normalised by n − 1, numpy's {@code np.cov(rowvar=False)}) of n feature rows. */
    public record Statistics(double[] mu, double[][] sigma, int count) {
        public int dim() {
            return mu.length;
        }
    }

    /** pytorch-fid's calculate_activation_statistics. At least two rows are needed for a covariance. */
    public static Statistics statistics(float[][] features) {
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("a Fréchet distance needs at least 2 images per set, got " + n);
        }
        int d = features[0].length;
        double[] mu = new double[d];
        for (float[] row : features) {
            if (row.length != d) {
                throw new IllegalArgumentException("feature rows differ in width: " + row.length + " vs " + d);
            }
            for (int j = 0; j < d; j++) {
                mu[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= n;
        }
        double[][] centred = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                centred[i][j] = features[i][j] - mu[j];
            }
        }
        double[][] sigma = new double[d][d];
        for (double[] x : centred) {
            for (int a = 0; a < d; a++) {
                double xa = x[a];
                if (xa == 0.0) {
                    continue;
                }
                double[] s = sigma[a];
                for (int b = a; b < d; b++) {
                    s[b] += xa * x[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                sigma[a][b] /= (n - 1);
                sigma[b][a] = sigma[a][b];
            }
        }
        return new Statistics(mu, sigma, n);
    }

    /**
     * d² between two feature sets (rows are samples). With fewer samples than dimensions (a quick FID on a few
     * hundred images, 2048-d), Σ = AᵀA has rank below n, and tr sqrtm(Σ1Σ2) equals the sum of the singular values of
     * the small n1 x n2 matrix A1A2ᵀ (the nonzero eigenvalues of XY and YX agree), so no d x d decomposition is needed.
     */
    public static double between(float[][] x, float[][] y) {
        Statistics s1 = statistics(x);
        Statistics s2 = statistics(y);
        if (Math.min(x.length, y.length) >= s1.dim()) {
            return distance(s1, s2);
        }
        if (s2.dim() != s1.dim()) {
            throw new IllegalArgumentException("feature sets differ in width: " + s1.dim() + " vs " + s2.dim());
        }
        double[][] a1 = scaledCentred(x, s1.mu());
        double[][] a2 = scaledCentred(y, s2.mu());
        double[][] m = multiply(a1, SymmetricEigen.transpose(a2)); // n1 x n2
        double[][] g = a1.length <= a2.length ? multiply(m, SymmetricEigen.transpose(m))
                : multiply(SymmetricEigen.transpose(m), m);
        double trace = 0.0;
        for (double l : SymmetricEigen.of(g).values()) {
            trace += Math.sqrt(Math.max(l, 0.0));
        }
        double diff = 0.0;
        double tr1 = 0.0;
        double tr2 = 0.0;
        for (int i = 0; i < s1.dim(); i++) {
            double t = s1.mu()[i] - s2.mu()[i];
            diff += t * t;
            tr1 += s1.sigma()[i][i];
            tr2 += s2.sigma()[i][i];
        }
        return diff + tr1 + tr2 - 2.0 * trace;
    }

    /** (x − μ) / √(n − 1): Σ = AᵀA. */
    private static double[][] scaledCentred(float[][] x, double[] mu) {
        double scale = 1.0 / Math.sqrt(x.length - 1);
        double[][] a = new double[x.length][mu.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < mu.length; j++) {
                a[i][j] = (x[i][j] - mu[j]) * scale;
            }
        }
        return a;
    }

    /** d² from fitted statistics. */
    public static double distance(Statistics s1, Statistics s2) {
        return distance(s1.mu(), s1.sigma(), s2.mu(), s2.sigma());
    }

    /** pytorch-fid's calculate_frechet_distance(mu1, sigma1, mu2, sigma2). */
    public static double distance(double[] mu1, double[][] sigma1, double[] mu2, double[][] sigma2) {
        int d = mu1.length;
        if (mu2.length != d || sigma1.length != d || sigma2.length != d) {
            throw new IllegalArgumentException("statistics have different dimensions: " + d + " and " + mu2.length);
        }
        double diff = 0.0;
        for (int i = 0; i < d; i++) {
            double t = mu1[i] - mu2[i];
            diff += t * t;
        }
        double tr1 = 0.0;
        double tr2 = 0.0;
        for (int i = 0; i < d; i++) {
            tr1 += sigma1[i][i];
            tr2 += sigma2[i][i];
        }
        return diff + tr1 + tr2 - 2.0 * traceSqrtProduct(sigma1, sigma2);
    }

    /** tr sqrtm(Σ1Σ2) for symmetric positive semi-definite Σ1, Σ2. */
    static double traceSqrtProduct(double[][] sigma1, double[][] sigma2) {
        int d = sigma1.length;
        SymmetricEigen e1 = SymmetricEigen.of(sigma1);
        double[] lambda = e1.values();
        double[][] v = e1.vectors(); // rows
        // root = Vᵀ diag(√λ) V with V's rows the eigenvectors: Σ1^½
        double[][] scaled = new double[d][];
        for (int j = 0; j < d; j++) {
            double r = Math.sqrt(Math.max(lambda[j], 0.0));
            scaled[j] = v[j].clone();
            for (int k = 0; k < d; k++) {
                scaled[j][k] *= r;
            }
        }
        double[][] root = multiply(SymmetricEigen.transpose(v), scaled);
        double[][] m = multiply(multiply(root, sigma2), root);
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double s = 0.5 * (m[i][j] + m[j][i]);
                m[i][j] = s;
                m[j][i] = s;
            }
        }
        double trace = 0.0;
        for (double l : SymmetricEigen.of(m).values()) {
            trace += Math.sqrt(Math.max(l, 0.0));
        }
        return trace;
    }

    /** a·b, row-major loops (i, k, j) so the inner loop streams rows. */
    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int inner = b.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            double[] ci = c[i];
            for (int k = 0; k < inner; k++) {
                double aik = a[i][k];
                if (aik == 0.0) {
                    continue;
                }
                double[] bk = b[k];
                for (int j = 0; j < m; j++) {
                    ci[j] += aik * bk[j];
                }
            }
        }
        return c;
    }
}
