package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.loop.TrainConfig;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code --devices} of distill, finetune and lora: data parallelism over model replicas, one per device. */
final class DevicesMixin {
    @Option(names = "--devices", split = ",", paramLabel = "DEV",
            description = "Data parallelism: one model replica per device (cpu,cpu or cuda:0,cuda:1), each running"
                + " --grad-accum micro-batches of --batch per step; bit for bit the run with --grad-accum x devices"
                + " on one device. Default: one device.")
    List<String> devices;

    /** The parsed devices, empty without the option. */
    List<Device> parsed() {
        return devices == null ? List.of() : devices.stream().map(d -> parse(d, "--devices")).toList();
    }

    /** {@code t} with the devices set. */
    TrainConfig apply(TrainConfig t) {
        return devices == null ? t : t.toBuilder().devices(parsed()).build();
    }

    /** The run's device: the first of --devices, else {@code single}. */
    Device primary(Device single) {
        return devices == null ? single : parsed().get(0);
    }

    /** cpu, gpu, gpu:N, cuda or cuda:N; a GPU libtorch does not see is refused here, not deep in a load. */
    static Device parse(String name, String option) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        Device d;
        if (n.equals("cpu")) {
            return Device.cpu();
        } else if (n.equals("gpu") || n.equals("cuda")) {
            d = Device.gpu();
        } else if (n.matches("(gpu|cuda):\\d+")) {
            d = Device.gpu(Integer.parseInt(n.substring(n.indexOf(':') + 1)));
        } else {
            throw new ConfigException(option + " " + name + " is not cpu, gpu, gpu:N or cuda:N");
        }
        if (Engine.getInstance().getGpuCount() <= d.getDeviceId()) {
            throw new ConfigException(option + " " + name + ": libtorch sees " + Engine.getInstance().getGpuCount()
                    + " GPU(s) (the CUDA build is mvn -Pcuda)");
        }
        return d;
    }
}
