package dev.nativeext.model.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads maskrcnn-benchmark's yacs YAML configs as its loader does: YAML scalars, then every
 * string through Python's {@code literal_eval} ({@code (False, True, True, True)} is a tuple of
 * booleans, {@code 1e-5} a float), each value checked against the default's type (tuple and list
 * interchange, nothing else: an int where a float is expected is refused, as in yacs). Errors name
 * the key and its {@code file:line}. Keys outside what the backbone reads (solver, RPN, heads,
 * datasets...) are accepted and listed in {@link BackboneConfig#unusedKeys()}; an unknown key
 * inside MODEL.BACKBONE/RESNETS/FPN/GROUP_NORM is an error, as yacs would make it.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    public static BackboneConfig load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** {@code text} as a config file named {@code source} in messages. */
    public static BackboneConfig parse(String text, String source) {
        Node root;
        try (Reader r = new StringReader(text)) {
            root = new Yaml(new LoaderOptions()).compose(r);
        } catch (YAMLException | IOException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage());
        }
        Map<String, Object> values = new LinkedHashMap<>(BackboneConfig.DEFAULTS);
        List<String> unused = new ArrayList<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        if (root != null) {
            if (!(root instanceof MappingNode m)) throw new ConfigException(where(source, root) + ": the top level must be a mapping of sections");
            walk(m, "", source, values, unused, lines);
        }
        return new BackboneConfig(values, unused, source, lines);
    }

    private static void walk(MappingNode m, String prefix, String source, Map<String, Object> values, List<String> unused,
                             Map<String, Integer> lines) {
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) throw new ConfigException(where(source, t.getKeyNode()) + ": keys must be plain names");
            String key = prefix + k.getValue();
            Node v = t.getValueNode();
            boolean read = BackboneConfig.DEFAULTS.containsKey(key);
            if (v instanceof MappingNode sub && !read) {
                walk(sub, key + ".", source, values, unused, lines);
                continue;
            }
            if (read) {
                values.put(key, coerce(key, pythonValue(v, source, key), where(source, v)));
                lines.put(key, v.getStartMark().getLine() + 1);
            } else if (BackboneConfig.OWNED_SECTIONS.stream().anyMatch(key::startsWith)) {
                String section = key.substring(0, key.lastIndexOf('.'));
                List<String> known = BackboneConfig.DEFAULTS.keySet().stream().filter(x -> x.startsWith(section + ".")).toList();
                throw new ConfigException(where(source, k) + ": " + key + " is not a config key (known in " + section + ": "
                        + String.join(", ", known.stream().map(x -> x.substring(section.length() + 1)).toList()) + ")");
            } else {
                unused.add(key);
            }
        }
    }

    /** The value yacs would see: the YAML value, and a string through literal_eval. */
    private static Object pythonValue(Node n, String source, String key) {
        if (n instanceof ScalarNode s) {
            Tag tag = s.getTag();
            String text = s.getValue();
            if (Tag.BOOL.equals(tag)) return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("yes") || text.equalsIgnoreCase("on");
            if (Tag.INT.equals(tag)) {
                try {
                    return Long.parseLong(text.replace("_", ""));
                } catch (NumberFormatException e) {
                    return PyLiteral.eval(text);
                }
            }
            if (Tag.FLOAT.equals(tag)) {
                try {
                    return Double.parseDouble(text.replace("_", ""));
                } catch (NumberFormatException e) {
                    return PyLiteral.eval(text);
                }
            }
            if (Tag.NULL.equals(tag)) return null;
            return PyLiteral.eval(text);
        }
        if (n instanceof SequenceNode seq) {
            List<Object> items = new ArrayList<>();
            for (Node item : seq.getValue()) items.add(pythonValue(item, source, key));
            return items;
        }
        throw new ConfigException(where(source, n) + ": " + key + " expects a value, got a mapping");
    }

    /** Checks {@code value} against the default's type, as yacs's _check_and_coerce_cfg_value_type. */
    static Object coerce(String key, Object value, String where) {
        if (!BackboneConfig.DEFAULTS.containsKey(key)) throw new ConfigException(where + ": " + key + " is not a config key");
        Object def = BackboneConfig.DEFAULTS.get(key);
        boolean defSeq = def instanceof PyLiteral.Tuple || def instanceof List<?>;
        boolean valSeq = value instanceof PyLiteral.Tuple || value instanceof List<?>;
        if (defSeq && valSeq) {
            List<Object> items = value instanceof PyLiteral.Tuple t ? t.items() : new ArrayList<>((List<?>) value);
            List<Object> defItems = def instanceof PyLiteral.Tuple t ? t.items() : new ArrayList<>((List<?>) def);
            Object elem = defItems.get(0);
            for (int i = 0; i < items.size(); i++) {
                Object x = items.get(i);
                boolean ok = elem instanceof Boolean ? x instanceof Boolean : elem instanceof Double ? x instanceof Double || x instanceof Long : true;
                if (!ok) throw new ConfigException(where + ": " + key + "[" + i + "] expects " + PyLiteral.typeName(elem) + ", got " + PyLiteral.typeName(x) + " " + PyLiteral.show(x));
            }
            if (key.equals("MODEL.RESNETS.STAGE_WITH_DCN") && items.size() != 4) {
                throw new ConfigException(where + ": " + key + " needs 4 flags (stages 2..5), got " + items.size());
            }
            return def instanceof PyLiteral.Tuple ? new PyLiteral.Tuple(List.copyOf(items)) : List.copyOf(items);
        }
        if (value != null && def.getClass() == value.getClass()) return value;
        throw new ConfigException(where + ": " + key + " expects " + PyLiteral.typeName(def) + " (default " + PyLiteral.show(def) + "), got "
                + PyLiteral.typeName(value) + " " + PyLiteral.show(value)
                + (def instanceof Double && value instanceof Long ? " (yacs does not turn an int into a float: write " + value + ".0)" : ""));
    }

    private static String where(String source, Node n) {
        return source + ":" + (n.getStartMark().getLine() + 1);
    }
}
