package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Reads and checks a YAML config; every failure names the key at fault. */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
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
        return parse(text, file.toString());
    }

    public static GuerrillaConfig parse(String yaml, String source) throws ConfigException {
        GuerrillaConfig cfg;
        try {
            cfg = yaml.isBlank() ? new GuerrillaConfig() : YAML.readValue(yaml, GuerrillaConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(source + ": " + path(e) + ": unknown key");
        } catch (JsonMappingException e) {
            throw new ConfigException(source + ": " + path(e) + ": " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
        }
        if (cfg == null) {
            cfg = new GuerrillaConfig();
        }
        check(cfg, source);
        return cfg;
    }

    public static void check(GuerrillaConfig cfg, String source) throws ConfigException {
        List<String> errors = cfg.validate();
        if (!errors.isEmpty()) {
            throw new ConfigException(errors.stream().map(e -> source + ": " + e).collect(Collectors.joining("\n")));
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }
}
