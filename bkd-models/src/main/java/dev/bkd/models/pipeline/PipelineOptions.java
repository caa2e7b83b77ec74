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
 */
public record PipelineOptions(Device device, DataType dtype, String variant, String scheduler) {
    public PipelineOptions {
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
        return new PipelineOptions(d, dtype, variant, scheduler);
    }

    public PipelineOptions withDtype(DataType d) {
        return new PipelineOptions(device, d, variant, scheduler);
    }

    public PipelineOptions withVariant(String v) {
        return new PipelineOptions(device, dtype, v, scheduler);
    }

    public PipelineOptions withScheduler(String s) {
        return new PipelineOptions(device, dtype, variant, s);
    }
}
