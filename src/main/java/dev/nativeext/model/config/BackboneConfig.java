package dev.nativeext.model.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of a maskrcnn-benchmark config that the backbone, its pooler and its input side read,
 * with maskrcnn-benchmark's defaults ({@code config/defaults.py}). Build one with
 * {@link ConfigLoader#load} (a YAML file over the defaults) or {@link #defaults()} and
 * {@link #with(String, Object)}.
 *
 * <p>Typed getters follow the config names: {@code MODEL.RESNETS.NUM_GROUPS} is {@link #numGroups()}.
 */
public final class BackboneConfig {

    /** Every key read, with its default in yacs's Python types (Long, Double, Boolean, String, Tuple). */
    static final Map<String, Object> DEFAULTS = new LinkedHashMap<>();

    static {
        d("MODEL.BACKBONE.CONV_BODY", "R-50-C4");
        d("MODEL.BACKBONE.FREEZE_CONV_BODY_AT", 2L);
        d("MODEL.RESNETS.NUM_GROUPS", 1L);
        d("MODEL.RESNETS.WIDTH_PER_GROUP", 64L);
        d("MODEL.RESNETS.STRIDE_IN_1X1", true);
        d("MODEL.RESNETS.TRANS_FUNC", "BottleneckWithFixedBatchNorm");
        d("MODEL.RESNETS.STEM_FUNC", "StemWithFixedBatchNorm");
        d("MODEL.RESNETS.RES5_DILATION", 1L);
        d("MODEL.RESNETS.BACKBONE_OUT_CHANNELS", 1024L);
        d("MODEL.RESNETS.RES2_OUT_CHANNELS", 256L);
        d("MODEL.RESNETS.STEM_OUT_CHANNELS", 64L);
        d("MODEL.RESNETS.STAGE_WITH_DCN", tuple(false, false, false, false));
        d("MODEL.RESNETS.WITH_MODULATED_DCN", false);
        d("MODEL.RESNETS.DEFORMABLE_GROUPS", 1L);
        d("MODEL.FPN.USE_GN", false);
        d("MODEL.FPN.USE_RELU", false);
        d("MODEL.GROUP_NORM.DIM_PER_GP", -1L);
        d("MODEL.GROUP_NORM.NUM_GROUPS", 32L);
        d("MODEL.GROUP_NORM.EPSILON", 1e-5);
        d("MODEL.RETINANET.USE_C5", true);
        d("MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION", 14L);
        d("MODEL.ROI_BOX_HEAD.POOLER_SCALES", tuple(1.0 / 16));
        d("MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO", 0L);
        d("INPUT.MIN_SIZE_TEST", 800L);
        d("INPUT.MAX_SIZE_TEST", 1333L);
        d("INPUT.PIXEL_MEAN", List.of(102.9801, 115.9465, 122.7717));
        d("INPUT.PIXEL_STD", List.of(1.0, 1.0, 1.0));
        d("INPUT.TO_BGR255", true);
        d("DATALOADER.SIZE_DIVISIBILITY", 0L);
    }

    /** The sections whose every key is known here: an unknown key in them is an error, as in yacs. */
    static final List<String> OWNED_SECTIONS = List.of("MODEL.BACKBONE.", "MODEL.RESNETS.", "MODEL.FPN.", "MODEL.GROUP_NORM.");

    private static void d(String key, Object value) {
        DEFAULTS.put(key, value);
    }

    private static PyLiteral.Tuple tuple(Object... items) {
        return new PyLiteral.Tuple(List.of(items));
    }

    private final Map<String, Object> values;
    private final List<String> unusedKeys;
    private final String source;
    /** The line of the file that set each key (absent for defaults and overrides). */
    private final Map<String, Integer> lines;

    BackboneConfig(Map<String, Object> values, List<String> unusedKeys, String source, Map<String, Integer> lines) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.unusedKeys = List.copyOf(unusedKeys);
        this.source = source;
        this.lines = Map.copyOf(lines);
    }

    /** maskrcnn-benchmark's defaults. */
    public static BackboneConfig defaults() {
        return new BackboneConfig(DEFAULTS, List.of(), "defaults", Map.of());
    }

    /**
     * A copy with {@code key} set, checked as a file value would be ({@code value} may be a
     * Python-literal string such as {@code "(False, True, True, True)"}).
     */
    public BackboneConfig with(String key, Object value) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        Object py = value instanceof String s ? PyLiteral.eval(s) : value instanceof Integer i ? (Object) i.longValue() : value;
        if (value instanceof boolean[] b) {
            List<Object> l = new ArrayList<>();
            for (boolean x : b) l.add(x);
            py = new PyLiteral.Tuple(l);
        }
        v.put(key, ConfigLoader.coerce(key, py, "override of " + key));
        Map<String, Integer> l = new LinkedHashMap<>(lines);
        l.remove(key);
        return new BackboneConfig(v, unusedKeys, source, l);
    }

    /** The file this came from, or "defaults". */
    public String source() {
        return source;
    }

    /** Keys of the file that nothing here reads (solver, RPN, heads, datasets ...), dotted, in file order. */
    public List<String> unusedKeys() {
        return unusedKeys;
    }

    /** The raw value of a key (yacs types). */
    public Object get(String key) {
        if (!values.containsKey(key)) throw new IllegalArgumentException("no config key " + key + "; known: " + String.join(", ", values.keySet()));
        return values.get(key);
    }

    private long l(String key) {
        return (Long) values.get(key);
    }

    private int i(String key) {
        long v = l(key);
        if (v != (int) v) throw error(key, v + " is outside the int range");
        return (int) v;
    }

    /** A count that the model's shapes are made of: at least {@code min}, at most 2^20. */
    private int count(String key, int min) {
        int v = i(key);
        if (v < min || v > MAX_COUNT) throw error(key, v + " must be in [" + min + ", " + MAX_COUNT + "]");
        return v;
    }

    /** The most channels (or groups, or pixels) any count of a config may give. */
    public static final int MAX_COUNT = 1 << 20;

    /**
     * A ConfigException about {@code key}, naming the file and, where the key came from it, the
     * line: "config.yaml:7: MODEL.RESNETS.NUM_GROUPS 0 must be in [1, 1048576]".
     */
    public ConfigException error(String key, String what) {
        Integer line = lines.get(key);
        return new ConfigException(source + (line != null ? ":" + line : "") + ": " + key + " " + what);
    }

    private boolean b(String key) {
        return (Boolean) values.get(key);
    }

    private String s(String key) {
        return (String) values.get(key);
    }

    private List<Object> seq(String key) {
        Object v = values.get(key);
        return v instanceof PyLiteral.Tuple t ? t.items() : castList(v);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(Object v) {
        return (List<Object>) v;
    }

    public String convBody() { return s("MODEL.BACKBONE.CONV_BODY"); }
    public int freezeConvBodyAt() { return i("MODEL.BACKBONE.FREEZE_CONV_BODY_AT"); }
    public int numGroups() { return count("MODEL.RESNETS.NUM_GROUPS", 1); }
    public int widthPerGroup() { return count("MODEL.RESNETS.WIDTH_PER_GROUP", 1); }
    public boolean strideIn1x1() { return b("MODEL.RESNETS.STRIDE_IN_1X1"); }
    public String transFunc() { return s("MODEL.RESNETS.TRANS_FUNC"); }
    public String stemFunc() { return s("MODEL.RESNETS.STEM_FUNC"); }
    public int res5Dilation() { return count("MODEL.RESNETS.RES5_DILATION", 1); }
    public int backboneOutChannels() { return count("MODEL.RESNETS.BACKBONE_OUT_CHANNELS", 1); }
    public int res2OutChannels() { return count("MODEL.RESNETS.RES2_OUT_CHANNELS", 1); }
    public int stemOutChannels() { return count("MODEL.RESNETS.STEM_OUT_CHANNELS", 1); }
    public boolean withModulatedDcn() { return b("MODEL.RESNETS.WITH_MODULATED_DCN"); }
    public int deformableGroups() { return count("MODEL.RESNETS.DEFORMABLE_GROUPS", 1); }
    public boolean fpnUseGn() { return b("MODEL.FPN.USE_GN"); }
    public boolean fpnUseRelu() { return b("MODEL.FPN.USE_RELU"); }
    public int groupNormDimPerGp() { return i("MODEL.GROUP_NORM.DIM_PER_GP"); }
    public int groupNormNumGroups() { return i("MODEL.GROUP_NORM.NUM_GROUPS"); }
    public double groupNormEpsilon() { return (Double) values.get("MODEL.GROUP_NORM.EPSILON"); }
    public boolean retinanetUseC5() { return b("MODEL.RETINANET.USE_C5"); }
    public int poolerResolution() { return count("MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION", 1); }
    public int poolerSamplingRatio() { return count("MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO", 0); }
    public int minSizeTest() { return count("INPUT.MIN_SIZE_TEST", 1); }
    public int maxSizeTest() { return count("INPUT.MAX_SIZE_TEST", 1); }
    public boolean toBgr255() { return b("INPUT.TO_BGR255"); }
    public int sizeDivisibility() { return count("DATALOADER.SIZE_DIVISIBILITY", 0); }

    /** STAGE_WITH_DCN: one flag per stage index 1..4. */
    public boolean[] stageWithDcn() {
        List<Object> v = seq("MODEL.RESNETS.STAGE_WITH_DCN");
        boolean[] r = new boolean[v.size()];
        for (int k = 0; k < r.length; k++) r[k] = (Boolean) v.get(k);
        return r;
    }

    public double[] poolerScales() {
        return doubles("MODEL.ROI_BOX_HEAD.POOLER_SCALES");
    }

    public double[] pixelMean() {
        return doubles("INPUT.PIXEL_MEAN");
    }

    public double[] pixelStd() {
        return doubles("INPUT.PIXEL_STD");
    }

    private double[] doubles(String key) {
        List<Object> v = seq(key);
        double[] r = new double[v.size()];
        for (int k = 0; k < r.length; k++) r[k] = ((Number) v.get(k)).doubleValue();
        return r;
    }

    /** The number of GroupNorm groups for {@code channels}, as maskrcnn-benchmark's get_group_gn. */
    public int groupNormGroups(int channels) {
        int dim = groupNormDimPerGp(), groups = groupNormNumGroups();
        if (dim != -1 && groups != -1) {
            throw error("MODEL.GROUP_NORM.DIM_PER_GP", dim + " and NUM_GROUPS " + groups + ": set one of them to -1 (GroupNorm takes G or C/G, not both)");
        }
        if (dim > 0) {
            if (channels % dim != 0) throw error("MODEL.GROUP_NORM.DIM_PER_GP", dim + " does not divide " + channels + " channels");
            return channels / dim;
        }
        if (groups <= 0 || channels % groups != 0) {
            throw error("MODEL.GROUP_NORM.NUM_GROUPS", groups + " does not divide " + channels + " channels");
        }
        return groups;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append(": ").append(PyLiteral.show(v)).append('\n'));
        return sb.toString();
    }
}
