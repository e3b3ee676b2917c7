package dev.kodiak.cli;

import dev.kodiak.core.infer.InferenceEngine;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --engine}: which runtime runs the model, for every command that classifies. */
final class EngineOption {
    @Option(names = "--engine", paramLabel = "ENGINE",
            defaultValue = "${env:KODIAK_ENGINE:-auto}", converter = Converter.class,
            description = "auto (ONNX Runtime when the bundle has model.onnx, else libtorch), "
                    + "onnxruntime or pytorch; default ${DEFAULT-VALUE}")
    InferenceEngine engine;

    /** Reads the name with core's rules and message. */
    static final class Converter implements CommandLine.ITypeConverter<InferenceEngine> {
        @Override
        public InferenceEngine convert(String value) {
            return InferenceEngine.parse(value);
        }
    }
}
