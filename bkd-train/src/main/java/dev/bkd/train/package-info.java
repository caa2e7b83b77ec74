/**
 * The training kit the distillation, fine-tuning and LoRA loops are assembled from; {@code dev.bkd.train.loop}
 * assembles it into the shared {@code TrainingLoop} (use that rather than a new loop). A loop reads top to bottom:
 *
 * <pre>{@code
 * CheckpointManager ckpts = new CheckpointManager(out, keepLast);
 * Optional<Checkpoint> resume = ckpts.resolve("latest").map(d -> CheckpointManager.load(d, Set.of("student", "optimizer")));
 * EpochSampler sampler = new EpochSampler(data.size(), seed, true, resume.map(c -> c.state().data()).orElse(DataPosition.start()));
 * ImageBatches batches = new ImageBatches(data, new ImageTransform(512, true, false), sampler, batchSize, false);
 * LrSchedule schedule = LrSchedule.byName("constant_with_warmup", 5e-5, 500, maxSteps);
 * try (StopSignal stop = StopSignal.install(); MetricsWriter metrics = MetricsWriter.open(out.resolve("metrics.jsonl"), startStep - 1)) {
 *     for (long step = startStep; step < maxSteps && !stop.requested(); step++) {
 *         try (NDManager s = root.newSubManager()) {
 *             ImageBatches.Batch b = batches.next(s);                        // data
 *             // noise (Generator), teacher forward, student forward under a GradientCollector, loss terms
 *             NonFiniteLossException.check(step, "loss", loss);
 *             Map<String, NDArray> grads = Autograd.grads(trainable, s);    // step
 *             double norm = GradClip.clipGlobalNorm(grads.values(), 1.0);
 *             adamw.step(trainable, grads, schedule.lr(step));
 *             Autograd.zeroGrads(trainable);
 *             ema.step(trainable);
 *             metrics.write(new StepMetrics(step + 1, losses, schedule.lr(step), norm, imgPerSec));   // log
 *             progress.update(step + 1, losses, imgPerSec);
 *         }
 *         // every N steps and when stop.requested(): ckpts.save(TrainerState.of(step + 1, batches.position())
 *         //     .withRng("noise", noise), Map.of("student", ..., "ema", ema.shadow(), "optimizer", adamw.stateDict(s)))
 *     }
 * }
 * }</pre>
 */
package dev.bkd.train;
