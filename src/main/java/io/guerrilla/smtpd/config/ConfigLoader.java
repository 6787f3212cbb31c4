package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and checks a YAML config, or a go-guerrilla JSON config (see {@link GoGuerrillaConfig});
 * every failure names the key at fault.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);

    private ConfigLoader() {
    }

    public static GuerrillaConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (GoGuerrillaConfig.looksLikeOne(file, text)) {
            return GoGuerrillaConfig.parse(text, file.toString());
        }
        return parse(text, file.toString());
    }

    public static GuerrillaConfig parse(String yaml, String source) throws ConfigException {
        JsonNode tree;
        try {
            tree = yaml.isBlank() ? null : YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
        }
        return fromTree(tree, source);
    }

    /**
     * Binds an already parsed tree in this project's key names, then checks it. Unknown keys and
     * names no enum knows are collected rather than fatal, so one run reports them together with
     * every bad value; a key reported while binding is not reported again by the checks.
     */
    static GuerrillaConfig fromTree(JsonNode tree, String source) throws ConfigException {
        GuerrillaConfig cfg;
        List<String> unknown = new ArrayList<>();
        try {
            if (tree instanceof ObjectNode root) {
                inheritListenerDefaults(root);
            }
            cfg = tree == null || tree.isNull() || tree.isMissingNode()
                    ? new GuerrillaConfig() : YAML.readerFor(GuerrillaConfig.class)
                    .withHandler(new BindingProblems(unknown)).readValue(tree);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(source + ": " + path(e) + ": unknown key");
        } catch (JsonMappingException e) {
            throw new ConfigException(source + ": " + path(e) + ": " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        if (cfg == null) {
            cfg = new GuerrillaConfig();
        }
        List<String> errors = new ArrayList<>(new LinkedHashSet<>(unknown));
        Set<String> reported = errors.stream().map(ConfigLoader::key).collect(Collectors.toSet());
        cfg.validate().stream().filter(e -> !reported.contains(key(e))).forEach(errors::add);
        fail(errors, source);
        return cfg;
    }

    public static void check(GuerrillaConfig cfg, String source) throws ConfigException {
        fail(cfg.validate(), source);
    }

    private static String key(String error) {
        int colon = error.indexOf(": ");
        return colon < 0 ? error : error.substring(0, colon);
    }

    private static void fail(List<String> errors, String source) throws ConfigException {
        if (!errors.isEmpty()) {
            throw new ConfigException(errors.stream().map(e -> source + ": " + e).collect(Collectors.joining("\n")));
        }
    }

    /**
     * Copies top-level listener keys into every {@code servers} entry that does not set them, so
     * e.g. allowed_hosts is written once; nested maps (such as tls) are merged key by key.
     */
    private static void inheritListenerDefaults(ObjectNode root) {
        if (!(root.get("servers") instanceof ArrayNode servers)) {
            return;
        }
        Set<String> listenerKeys = YAML.getSerializationConfig()
                .introspect(YAML.constructType(ListenerConfig.class)).findProperties().stream()
                .map(p -> p.getName()).collect(Collectors.toSet());
        for (JsonNode entry : servers) {
            if (entry instanceof ObjectNode server) {
                root.properties().forEach(field -> {
                    if (listenerKeys.contains(field.getKey())) {
                        fill(server, field.getKey(), field.getValue());
                    }
                });
            }
        }
    }

    private static void fill(ObjectNode target, String key, JsonNode value) {
        JsonNode existing = target.get(key);
        if (existing == null) {
            target.set(key, value.deepCopy());
        } else if (existing instanceof ObjectNode nested && value instanceof ObjectNode defaults) {
            defaults.properties().forEach(f -> fill(nested, f.getKey(), f.getValue()));
        }
    }

    /**
     * Records "path: unknown key" (and skips the value) and "path: unknown value" (leaving the key
     * null, which the checks would call missing). Keys copied into several servers entries by
     * {@link #inheritListenerDefaults} are named once, by the top-level key the user wrote.
     */
    private static final class BindingProblems extends DeserializationProblemHandler {
        private final List<String> found;

        BindingProblems(List<String> found) {
            this.found = found;
        }

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                                             Object beanOrClass, String propertyName) throws IOException {
            found.add(path(p) + ": unknown key");
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
                                             String failureMsg) {
            if (!targetType.isEnum()) {
                return NOT_HANDLED;
            }
            found.add(path(ctxt.getParser()) + ": unknown value \"" + value + "\" (known: " + names(targetType) + ")");
            return null;
        }

        private static String path(JsonParser p) {
            StringBuilder path = new StringBuilder();
            List<String> parts = new ArrayList<>();
            JsonStreamContext start = p.getParsingContext();
            if (p.currentToken() != null && p.currentToken().isStructStart()) {
                // On a list or map value the parser already stands inside it; the key is one level up.
                start = start.getParent();
            }
            for (JsonStreamContext c = start; c != null && !c.inRoot(); c = c.getParent()) {
                parts.add(0, c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName());
            }
            for (String part : parts) {
                if (!part.startsWith("[") && path.length() > 0) {
                    path.append('.');
                }
                path.append(part);
            }
            return path.toString();
        }

        /** An enum's names as a config writes them, lower case, with their {@code @JsonAlias} spellings. */
        private static String names(Class<?> type) {
            List<String> names = new ArrayList<>();
            for (Field f : type.getFields()) {
                if (f.isEnumConstant()) {
                    names.add(f.getName().toLowerCase(Locale.ROOT));
                    JsonAlias alias = f.getAnnotation(JsonAlias.class);
                    if (alias != null) {
                        names.addAll(List.of(alias.value()));
                    }
                }
            }
            return String.join(", ", names);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }
}
