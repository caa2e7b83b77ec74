/**
 * LoRA for bkd models: adapters on {@code Linear} / {@code Conv2d} layers, their files, fuse and unfuse.
 *
 * <p><b>Model side.</b> {@link dev.bkd.core.lora.Lora#add} puts a named adapter on every layer whose dotted path
 * matches a target (PEFT {@code target_modules} rule); the layer keeps its parameters and state-dict names and
 * adds {@code scale * alpha / r * B(A(x))} to its output. Several adapters add up, each with its own scale.
 * A starts kaiming-uniform(a = sqrt(5)) from an explicit {@code Generator}, B at zero (PEFT's init, so step 0
 * is the base model). For training: {@code Weights.setTrainable(root, false)} then
 * {@link dev.bkd.core.lora.LoraAdapter#setTrainable}; {@link dev.bkd.core.lora.LoraAdapter#parameters} gives the
 * live A/B arrays by PEFT name ({@code <path>.lora_A.weight}). {@link dev.bkd.core.lora.Lora#fuse} merges into
 * the weights (float32 sum) and keeps the original array, so {@link dev.bkd.core.lora.Lora#unfuse} is exact.
 *
 * <p><b>What bkd writes</b> ({@link dev.bkd.core.lora.LoraFiles#save}) is what diffusers' {@code
 * save_lora_weights} writes today: {@code pytorch_lora_weights.safetensors}, keys
 * {@code unet.<path>.lora_A.weight} / {@code .lora_B.weight} and {@code text_encoder.<path>...}, A and B
 * unscaled, and {@code __metadata__["lora_adapter_metadata"]} = JSON of each component's PEFT config
 * ({@code unet.r}, {@code unet.lora_alpha}, {@code unet.rank_pattern}, {@code unet.alpha_pattern},
 * {@code unet.target_modules} as full layer paths). diffusers reads that metadata into {@code LoraConfig}, which
 * is the only place a PEFT-layout file can carry alpha != r: it ignores {@code .alpha} tensors in this layout
 * and, without metadata, uses alpha = r. So with alpha = r (the default of diffusers' training scripts) a bkd
 * file means the same in every diffusers version; with alpha != r it needs a diffusers that reads the
 * metadata. Not folding alpha into B keeps the file an exact copy of the trained tensors.
 *
 * <p><b>What bkd reads</b> ({@link dev.bkd.core.lora.LoraLoader}): that layout; older diffusers layouts
 * ({@code .lora.down/.up}, {@code .lora_linear_layer}, attention-processor {@code to_q_lora}); and kohya
 * ({@code lora_unet_}/{@code lora_te_} + path with '_', {@code lora_down/lora_up}, scalar {@code .alpha}, 0
 * meaning alpha = r as sd-scripts reads it), matched against the model's own layer paths, so LoCon conv layers
 * load too. Keys that fit no layer go to a {@link dev.bkd.core.lora.LoraLoadReport} and a warning (strict:
 * an error); wrong shapes, half adapters and DoRA / LoRA-bias tensors are errors.
 */
package dev.bkd.core.lora;
