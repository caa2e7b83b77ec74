/**
 * The training loop every bkd trainer shares. {@link dev.bkd.train.loop.TrainingLoop} owns data, noise, backward,
 * clipping, AdamW, EMA, logging, checkpoints/resume and validation; an {@link dev.bkd.train.loop.Objective} owns
 * the model and the loss. A fine-tuning or LoRA trainer implements {@code Objective} (trainable parameters by
 * name, {@code loss(DiffusionBatch)}, {@code save(folder)}) and reuses the rest:
 *
 * <pre>{@code
 * FrozenEncoders enc = FrozenEncoders.load(pipeline, root, DataType.FLOAT32);
 * BatchSource data = new ImageSource(dataset, new ImageTransform(512, false, true), seed, batch, enc);
 * ForwardProcess ddpm = new ForwardProcess(SchedulerConfig.read(pipeline.resolve("scheduler/scheduler_config.json")));
 * TrainResult r = new TrainingLoop(trainConfig, myObjective, data, ddpm, out, root).validator(v).run();
 * }</pre>
 */
package dev.bkd.train.loop;
