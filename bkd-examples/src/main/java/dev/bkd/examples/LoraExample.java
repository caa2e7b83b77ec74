package dev.bkd.examples;

import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import java.nio.file.Path;

/**
 * LoRA at inference: add a LoRA file to a pipeline, generate with it, fuse it into the weights for faster steps,
 * then unfuse and remove it to get the base model back. Reads diffusers/PEFT, older diffusers and kohya files.
 *
 * <pre>LoraExample [model] [lora] [prompt] [out] [scale] [steps]</pre>
 * <ul>
 *   <li>model: a diffusers pipeline folder, or a hub id found in the local Hugging Face cache; default
 *       {@code runwayml/stable-diffusion-v1-5}</li>
 *   <li>lora: a .safetensors file, or a folder holding {@code pytorch_lora_weights.safetensors}; default
 *       {@code pytorch_lora_weights.safetensors}</li>
 *   <li>prompt: default "a photo of an astronaut riding a horse"</li>
 *   <li>out: default {@code outputs}; PNGs go to {@code lora/}, {@code fused/} and {@code without/} in it</li>
 *   <li>scale: how strongly the LoRA update applies, default 0.8; steps: denoising steps, default 25</li>
 * </ul>
 */
public final class LoraExample {
    private LoraExample() {}

    public static void main(String[] args) {
        System.setProperty("OPT_OUT_TRACKING", "true"); // no telemetry, no downloads
        System.setProperty("ai.djl.offline", "true");
        String model = args.length > 0 ? args[0] : "runwayml/stable-diffusion-v1-5";
        Path lora = Path.of(args.length > 1 ? args[1] : "pytorch_lora_weights.safetensors");
        String prompt = args.length > 2 ? args[2] : "a photo of an astronaut riding a horse";
        Path out = Path.of(args.length > 3 ? args[3] : "outputs");
        double scale = args.length > 4 ? Double.parseDouble(args[4]) : 0.8;
        int steps = args.length > 5 ? Integer.parseInt(args[5]) : 25;

        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model)) {
            // the report lists the adapted layers and any key that fit no layer
            System.out.println(pipe.loadLora(lora, scale).describe());
            // one request, one seed: the three pictures differ only by what the LoRA does
            GenerationRequest request = GenerationRequest.builder(prompt).steps(steps).seed(42L).build();

            // 1. as an adapter: every adapted layer adds scale * B(A(x)) to its output
            System.out.println("with LoRA: " + pipe.generate(request).save(out.resolve("lora")));

            // 2. fused: the update is merged into the weights once, so each step costs what the base model's does
            pipe.fuseLora();
            System.out.println("fused: " + pipe.generate(request).save(out.resolve("fused")));

            // 3. unfusing restores the original weights bit for bit; removing the adapter gives the base model
            pipe.unfuseLora();
            pipe.loraNames().forEach(pipe::removeLora);
            System.out.println("without LoRA: " + pipe.generate(request).save(out.resolve("without")));
        }
    }
}
