/**
 * LoRA training (diffusers' train_text_to_image_lora): PEFT adapters on the UNet layers that match the target
 * names, the base UNet frozen, only the adapters' A/B weights trained with the text-to-image loss on the shared
 * {@link dev.bkd.train.loop.TrainingLoop}. The result is a {@code pytorch_lora_weights.safetensors} that
 * {@code bkd generate --lora} and diffusers' {@code load_lora_weights} read.
 */
package dev.bkd.train.lora;
