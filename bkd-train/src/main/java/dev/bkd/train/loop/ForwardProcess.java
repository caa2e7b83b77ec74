package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.models.schedulers.NoiseSchedule;

/**
 * The training side of DDPM, as diffusers' train_text_to_image does it: standard-normal noise, uniform integer
 * timesteps in [0, num_train_timesteps), {@code add_noise}, and the target named by the scheduler config's
 * {@code prediction_type}.
 */
public final class ForwardProcess {
    private final NoiseSchedule schedule;
    private final boolean velocity;

    public ForwardProcess(SchedulerConfig config) {
        String p = config.predictionType();
        if (!"epsilon".equals(p) && !"v_prediction".equals(p)) {
            throw new ConfigException("scheduler_config.json: prediction_type `" + p + "` cannot be trained here;"
                    + " use epsilon or v_prediction (as diffusers' training scripts do)");
        }
        this.schedule = new NoiseSchedule(config);
        this.velocity = "v_prediction".equals(p);
    }

    /** {@code epsilon} or {@code v_prediction}. */
    public String predictionType() {
        return velocity ? "v_prediction" : "epsilon";
    }

    public int numTrainTimesteps() {
        return schedule.numTrainTimesteps();
    }

    /** Draws noise then timesteps from {@code rng} and noises {@code clean}; the arrays land in {@code m}. */
    public DiffusionBatch apply(CleanBatch clean, Generator rng, NDManager m) {
        NDArray x0 = clean.latents();
        NDArray noise = rng.randn(m, x0.getShape());
        NDArray t = rng.randint(m, 0, schedule.numTrainTimesteps(), new Shape(clean.size()));
        NDArray xt = schedule.addNoise(x0, noise, t);
        NDArray target = velocity ? schedule.getVelocity(x0, noise, t) : noise;
        return new DiffusionBatch(x0, noise, t, xt, clean.encoderHiddenStates(), target, clean.captions(),
                clean.unetConditioning());
    }
}
