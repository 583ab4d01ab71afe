package jgan.cli;

import java.util.Iterator;
import java.util.List;

import jgan.data.Mixture;
import jgan.gan.LossKind;
import jgan.gan.TrainConfig;
import jgan.kernels.Activation;
import jgan.nn.Init;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The named choices of the command line: each a converter (any case; '-' and '_' alike, so
 * normal-002 and normal_002 both work) and the list that help and errors show.
 */
final class Choices {
    private Choices() {
    }

    private static TypeConversionException refuse(String what, String value, List<String> names) {
        return new TypeConversionException("unknown " + what + " '" + value + "': use " + String.join(", ", names));
    }

    /** Listed choices for picocli's ${COMPLETION-CANDIDATES}. */
    abstract static class Names implements Iterable<String> {
        abstract List<String> names();

        @Override
        public Iterator<String> iterator() {
            return names().iterator();
        }
    }

    static final class DataNames extends Names {
        @Override
        List<String> names() {
            return List.of("ring8", "grid25", "fashion-mnist", "DIR (a folder of images)");
        }
    }

    /**
     * A data set's name (ring8, grid25, fashion-mnist; any case, fashion_mnist too) or, for anything
     * else, the path of a folder of images as typed (checked to be a folder when the config is made).
     */
    static final class DataConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            if (v.equals("ring8") || v.equals("grid25") || v.equals("fashion-mnist")) {
                return v;
            }
            if (value.isBlank()) {
                throw refuse("data", value, new DataNames().names());
            }
            return value;
        }
    }

    static final class ModelNames extends Names {
        @Override
        List<String> names() {
            return List.of("dcgan", "mlp-conv", "mlp");
        }
    }

    static final class ModelConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            if (!new ModelNames().names().contains(v)) {
                throw refuse("model", value, new ModelNames().names());
            }
            return v;
        }
    }

    static final class SampleBnNames extends Names {
        @Override
        List<String> names() {
            return List.of("eval", "batch");
        }
    }

    static final class SampleBnConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(java.util.Locale.ROOT);
            if (!new SampleBnNames().names().contains(v)) {
                throw refuse("--sample-bn", value, new SampleBnNames().names());
            }
            return v;
        }
    }

    /** A colour: white, black, grey/gray, or #rrggbb / rrggbb (any case); as #rrggbb in lower case. */
    static final class ColourConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(java.util.Locale.ROOT);
            switch (v) {
                case "white":
                    return "#ffffff";
                case "black":
                    return "#000000";
                case "grey":
                case "gray":
                    return "#808080";
                default:
                    break;
            }
            String hex = v.startsWith("#") ? v.substring(1) : v;
            if (!hex.matches("[0-9a-f]{6}")) {
                throw new TypeConversionException("unknown colour '" + value + "': use white, black, grey or #rrggbb");
            }
            return "#" + hex;
        }
    }

    static final class LossNames extends Names {
        @Override
        List<String> names() {
            return List.of("nonsaturating", "minimax", "wasserstein", "hinge", "lsgan");
        }
    }

    static final class LossConverter implements ITypeConverter<LossKind> {
        @Override
        public LossKind convert(String value) {
            try {
                return LossKind.named(value);
            } catch (IllegalArgumentException e) {
                throw refuse("loss", value, new LossNames().names());
            }
        }
    }

    static final class ActivationNames extends Names {
        @Override
        List<String> names() {
            return List.of("relu", "leakyrelu", "tanh");
        }
    }

    static final class ActivationConverter implements ITypeConverter<Activation> {
        @Override
        public Activation convert(String value) {
            try {
                return TrainConfig.activationNamed(value);
            } catch (IllegalArgumentException e) {
                throw refuse("activation", value, new ActivationNames().names());
            }
        }
    }

    static final class InitNames extends Names {
        @Override
        List<String> names() {
            return List.of("pytorch", "xavier", "normal_002");
        }
    }

    static final class InitConverter implements ITypeConverter<Init> {
        @Override
        public Init convert(String value) {
            try {
                return TrainConfig.initNamed(value);
            } catch (IllegalArgumentException e) {
                throw refuse("init", value, new InitNames().names());
            }
        }
    }

    static final class DeviceNames extends Names {
        @Override
        List<String> names() {
            return List.of("auto", "gpu", "cpu", "host");
        }
    }

    static final class DeviceConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(java.util.Locale.ROOT);
            if (v.equals("cuda")) {
                return "gpu";
            }
            if (!new DeviceNames().names().contains(v)) {
                throw refuse("device", value, new DeviceNames().names());
            }
            return v;
        }
    }

    static final class BooleanConverter implements ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new TypeConversionException("'" + value + "' is not true or false");
            };
        }
    }
}
