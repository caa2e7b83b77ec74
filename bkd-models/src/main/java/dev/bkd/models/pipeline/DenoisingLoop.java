package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.NoiseSource;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.schedulers.Scheduler;

/**
 * diffusers' denoising loop, shared by text-to-image, image-to-image and inpainting: per timestep the latents
 * (doubled for classifier-free guidance) are scaled by the scheduler, the inpainting channels appended
 * (unscaled, as diffusers does), the UNet runs once on the batch, guidance mixes its halves, the scheduler steps,
 * and for legacy inpainting the known region is blended back. Each step's temporaries live in a sub-manager
 * closed after the step, so memory does not grow with the number of steps.
 */
final class DenoisingLoop {
    private final UNet2DConditionModel unet;
    private final DataType modelType;

    DenoisingLoop(UNet2DConditionModel unet, DataType modelType) {
        this.unet = unet;
        this.modelType = modelType;
    }

    /** diffusers' callback_on_step_end: sees the latents after every step (tests compare them). */
    interface StepObserver {
        void afterStep(int index, NDArray latents);
    }

    /** Runs every timestep of {@code start}; returns the final latents, attached to {@code call}. */
    NDArray run(GenerationRequest req, Scheduler scheduler, DenoisingStart start, NDArray context,
            NoiseSource generator, NDManager call) {
        return run(req, scheduler, start, context, generator, call, null);
    }

    /** As {@link #run(GenerationRequest, Scheduler, DenoisingStart, NDArray, NoiseSource, NDManager)}, observed. */
    NDArray run(GenerationRequest req, Scheduler scheduler, DenoisingStart start, NDArray context,
            NoiseSource generator, NDManager call, StepObserver observer) {
        boolean cfg = req.doClassifierFreeGuidance();
        float guidance = (float) req.guidanceScale();
        float[] timesteps = start.timesteps();
        NDArray latents = start.latents();
        for (int i = 0; i < timesteps.length; i++) {
            checkCancel(req, "after " + i + " of " + timesteps.length + " steps");
            float t = timesteps[i];
            NDArray next;
            try (NDManager step = call.newSubManager()) {
                latents.attach(step);
                NDArray in = cfg ? latents.concat(latents, 0) : latents;
                in = scheduler.scaleModelInput(in, t);
                if (start.unetExtra() != null) {
                    in = in.concat(start.unetExtra(), 1);
                }
                NDArray eps = cast(unet.forward(cast(in, modelType), t, context), DataType.FLOAT32);
                if (cfg) {
                    NDList halves = eps.split(2, 0);
                    NDArray uncond = halves.get(0);
                    eps = uncond.add(halves.get(1).sub(uncond).mul(guidance));
                }
                next = scheduler.step(eps, t, latents, generator).prevSample();
                if (start.blend() != null && i < timesteps.length - 1) {
                    next = blend(scheduler, start.blend(), next, timesteps[i + 1]);
                }
                next.attach(call);
            }
            latents = next;
            if (observer != null) {
                observer.afterStep(i, latents);
            }
            if (req.progress() != null) {
                req.progress().onStep(i + 1, timesteps.length, t);
            }
        }
        return latents;
    }

    /** (1 - mask) add_noise(image_latents, noise, t) + mask latents, with one timestep per batch item. */
    private static NDArray blend(Scheduler scheduler, DenoisingStart.LegacyBlend b, NDArray latents, float t) {
        NDManager step = latents.getManager();
        NDArray proper = scheduler.addNoise(b.imageLatents(), b.noise(), timestepArray(step, t,
                latents.getShape().get(0)));
        proper.attach(step);
        // first operands from this step's manager, so nothing lands in the call's manager
        NDArray keep = latents.onesLike().sub(b.mask());
        return proper.mul(keep).add(latents.mul(b.mask()));
    }

    /**
     * {@code t} repeated {@code n} times: int64 when it is a whole number (what DDIM/DDPM/PNDM's forward process
     * needs), else float32 (sigma-space schedulers look fractional timesteps up in their schedule).
     */
    static NDArray timestepArray(NDManager m, float t, long n) {
        if (t == Math.rint(t)) {
            long[] v = new long[(int) n];
            java.util.Arrays.fill(v, (long) t);
            return m.create(v, new Shape(n));
        }
        float[] v = new float[(int) n];
        java.util.Arrays.fill(v, t);
        return m.create(v, new Shape(n));
    }

    static NDArray cast(NDArray a, DataType type) {
        return a.getDataType() == type ? a : a.toType(type, false);
    }

    static void checkCancel(GenerationRequest req, String when) {
        if (req.cancel().getAsBoolean()) {
            throw new GenerationCancelledException("generation cancelled " + when);
        }
    }
}
