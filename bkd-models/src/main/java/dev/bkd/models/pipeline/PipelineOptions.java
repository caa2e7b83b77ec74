package dev.bkd.models.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;

/**
 * How {@link DiffusionPipeline#fromPretrained} loads a pipeline.
 *
 * @param device    where weights and every array of a generation live
 * @param dtype     FLOAT32 (default) or FLOAT16 (for GPUs: correct on CPU but far slower there)
 * @param variant   weight files variant, e.g. "fp16" for {@code diffusion_pytorch_model.fp16.safetensors}; null
 *                  for the default files
 * @param scheduler a scheduler name ({@code pndm, ddim, ddpm, euler, euler-a, dpm++2m, lms}) built from the
 *                  folder's scheduler config, like diffusers' {@code XScheduler.from_config}; null keeps the
 *                  folder's own scheduler
 * @param vae       a VAE to use instead of the model's: a diffusers VAE folder or a standalone VAE file
 *                  (original LDM layout, e.g. {@code vae-ft-mse-840000-ema-pruned.safetensors}); null keeps it
 * @param singleFile how a single-file checkpoint is read (configs, prediction type, EMA); ignored for folders
 */
public record PipelineOptions(Device device, DataType dtype, String variant, String scheduler, java.nio.file.Path vae,
        SingleFileOptions singleFile) {
    public PipelineOptions(Device device, DataType dtype, String variant, String scheduler) {
        this(device, dtype, variant, scheduler, null, SingleFileOptions.defaults());
    }

    public PipelineOptions {
        if (singleFile == null) {
            singleFile = SingleFileOptions.defaults();
        }
        if (device == null) {
            throw new BkdException("PipelineOptions: device is missing (null); use Device.cpu() or Device.gpu()");
        }
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new BkdException("PipelineOptions: dtype " + dtype + " is not supported (use float32 or float16)");
        }
    }

    /** CPU, float32, default weight files, the folder's scheduler. */
    public static PipelineOptions defaults() {
        return new PipelineOptions(Device.cpu(), DataType.FLOAT32, null, null);
    }

    public PipelineOptions withDevice(Device d) {
        return new PipelineOptions(d, dtype, variant, scheduler, vae, singleFile);
    }

    public PipelineOptions withDtype(DataType d) {
        return new PipelineOptions(device, d, variant, scheduler, vae, singleFile);
    }

    public PipelineOptions withVariant(String v) {
        return new PipelineOptions(device, dtype, v, scheduler, vae, singleFile);
    }

    public PipelineOptions withScheduler(String s) {
        return new PipelineOptions(device, dtype, variant, s, vae, singleFile);
    }

    /** Use the VAE at {@code path} (diffusers VAE folder or standalone LDM VAE file) instead of the model's. */
    public PipelineOptions withVae(java.nio.file.Path path) {
        return new PipelineOptions(device, dtype, variant, scheduler, path, singleFile);
    }

    public PipelineOptions withSingleFile(SingleFileOptions o) {
        return new PipelineOptions(device, dtype, variant, scheduler, vae, o);
    }
}
