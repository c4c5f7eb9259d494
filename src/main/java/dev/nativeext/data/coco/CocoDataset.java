package dev.nativeext.data.coco;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nativeext.data.Dataset;
import dev.nativeext.data.EpochAware;
import dev.nativeext.data.GroupedBatchSampler;
import dev.nativeext.data.image.ByteImage;
import dev.nativeext.data.image.DetectionSample;
import dev.nativeext.data.image.DetectionTransform;
import dev.nativeext.data.image.ImageDecodeException;
import dev.nativeext.data.image.ImageDecoder;
import dev.nativeext.data.image.Target;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A COCO instances file and its image folder as maskrcnn-benchmark's {@code COCODataset}:
 * <ul>
 *   <li>images sorted by id; with {@code removeImagesWithoutAnnotations} only images with at
 *       least one annotation whose box is more than 1 pixel wide and high are kept (its
 *       {@code has_valid_annotation}, crowd annotations counted, as there);</li>
 *   <li>crowd annotations ({@code iscrowd = 1}) dropped; {@code bbox [x, y, w, h]} to xyxy with
 *       the inclusive convention {@code x2 = x + max(w - 1, 0)};</li>
 *   <li>category ids mapped to labels 1..K in the order of the file's {@code categories} list
 *       (pycocotools' {@code getCatIds()}: for COCO files, sorted by id);</li>
 *   <li>polygon {@code segmentation}s kept as masks ({@link Target#mask}); an RLE segmentation
 *       on a non-crowd annotation is an error (maskrcnn-benchmark reads polygons only);</li>
 *   <li>boxes clipped to the image, empty ones removed, then the transform applied.</li>
 * </ul>
 * Every field is checked when the file is read: a malformed file fails the constructor with a
 * {@link CocoFormatException} naming the file and field; a missing or corrupt image fails its
 * {@code get} with an {@link ImageDecodeException} naming the file, the image id and the index.
 */
public final class CocoDataset implements Dataset<DetectionSample>, EpochAware {

    /** One image entry of the file. */
    public record ImageInfo(long id, String fileName, int width, int height) {
    }

    /** One non-crowd or crowd annotation as read. */
    record Annotation(int category, double[] bbox, boolean crowd, List<float[]> polygons) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path annotationFile;
    private final Path imageRoot;
    private final DetectionTransform transform;
    private final List<ImageInfo> images;
    private final Map<Long, List<Annotation>> annotations;
    private final long[] categoryIds;
    private final Map<Long, String> categoryNames;
    private volatile int epoch;

    /**
     * @param transform {@code null}: no transform (the sample's image is normalised at its own size with maskrcnn-benchmark's Normalize)
     */
    public CocoDataset(Path annotationFile, Path imageRoot, boolean removeImagesWithoutAnnotations, DetectionTransform transform) {
        this.annotationFile = annotationFile;
        this.imageRoot = imageRoot;
        this.transform = transform != null ? transform
                : new DetectionTransform(null, 0, dev.nativeext.data.image.Normalize.maskRcnn(), 0);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(annotationFile));
        } catch (NoSuchFileException e) {
            throw new CocoFormatException(annotationFile, "no such file", e);
        } catch (JsonProcessingException e) {
            throw new CocoFormatException(annotationFile, "not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
        } catch (IOException e) {
            throw new CocoFormatException(annotationFile, "cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) throw new CocoFormatException(annotationFile, "(root)", "expected a JSON object");

        // categories, in file order (pycocotools getCatIds)
        JsonNode cats = array(root, "categories", "categories");
        Map<Long, Integer> label = new LinkedHashMap<>();
        categoryNames = new LinkedHashMap<>();
        for (int i = 0; i < cats.size(); i++) {
            String at = "categories[" + i + "]";
            long id = integer(cats.get(i), "id", at);
            if (label.put(id, label.size() + 1) != null) throw new CocoFormatException(annotationFile, at + ".id", "duplicate category id " + id);
            JsonNode name = cats.get(i).get("name");
            categoryNames.put(id, name != null && name.isTextual() ? name.asText() : String.valueOf(id));
        }
        categoryIds = label.keySet().stream().mapToLong(Long::longValue).toArray();

        JsonNode imgs = array(root, "images", "images");
        TreeMap<Long, ImageInfo> byId = new TreeMap<>();
        for (int i = 0; i < imgs.size(); i++) {
            String at = "images[" + i + "]";
            JsonNode n = imgs.get(i);
            long id = integer(n, "id", at);
            String file = text(n, "file_name", at);
            int w = (int) integer(n, "width", at);
            int h = (int) integer(n, "height", at);
            if (w < 1 || h < 1) throw new CocoFormatException(annotationFile, at, "width and height must be >= 1, got " + w + "x" + h);
            if (byId.put(id, new ImageInfo(id, file, w, h)) != null) throw new CocoFormatException(annotationFile, at + ".id", "duplicate image id " + id);
        }

        annotations = new HashMap<>();
        JsonNode anns = root.has("annotations") ? array(root, "annotations", "annotations") : JSON.createArrayNode();
        for (int i = 0; i < anns.size(); i++) {
            String at = "annotations[" + i + "]";
            JsonNode n = anns.get(i);
            long imageId = integer(n, "image_id", at);
            if (!byId.containsKey(imageId)) throw new CocoFormatException(annotationFile, at + ".image_id", "no image has id " + imageId);
            long cat = integer(n, "category_id", at);
            Integer lab = label.get(cat);
            if (lab == null) throw new CocoFormatException(annotationFile, at + ".category_id", "no category has id " + cat);
            long crowd = integer(n, "iscrowd", at);
            if (crowd != 0 && crowd != 1) throw new CocoFormatException(annotationFile, at + ".iscrowd", "expected 0 or 1, got " + crowd);
            JsonNode bb = n.get("bbox");
            if (bb == null || !bb.isArray() || bb.size() != 4) throw new CocoFormatException(annotationFile, at + ".bbox", "expected [x, y, w, h], got " + bb);
            double[] box = new double[4];
            for (int k = 0; k < 4; k++) {
                if (!bb.get(k).isNumber() || !Double.isFinite(bb.get(k).asDouble())) {
                    throw new CocoFormatException(annotationFile, at + ".bbox[" + k + "]", "expected a finite number, got " + bb.get(k));
                }
                box[k] = bb.get(k).asDouble();
            }
            List<float[]> polys = null;
            JsonNode seg = n.get("segmentation");
            if (seg != null && crowd == 0) {
                if (!seg.isArray()) {
                    throw new CocoFormatException(annotationFile, at + ".segmentation", "expected a list of polygons (RLE masks are read for crowd annotations only, which are dropped)");
                }
                polys = new ArrayList<>();
                for (int p = 0; p < seg.size(); p++) {
                    JsonNode poly = seg.get(p);
                    String pat = at + ".segmentation[" + p + "]";
                    if (!poly.isArray() || poly.size() % 2 != 0 || poly.size() < 6) {
                        throw new CocoFormatException(annotationFile, pat, "expected [x0, y0, x1, y1, ...] with at least 3 points");
                    }
                    float[] xy = new float[poly.size()];
                    for (int k = 0; k < xy.length; k++) {
                        if (!poly.get(k).isNumber()) throw new CocoFormatException(annotationFile, pat + "[" + k + "]", "expected a number, got " + poly.get(k));
                        xy[k] = (float) poly.get(k).asDouble();
                    }
                    polys.add(xy);
                }
            }
            annotations.computeIfAbsent(imageId, x -> new ArrayList<>()).add(new Annotation(lab, box, crowd == 1, polys));
        }

        List<ImageInfo> kept = new ArrayList<>();
        for (ImageInfo info : byId.values()) {
            if (!removeImagesWithoutAnnotations || hasValidAnnotation(annotations.getOrDefault(info.id(), List.of()))) kept.add(info);
        }
        images = List.copyOf(kept);
    }

    /** maskrcnn-benchmark's {@code has_valid_annotation} without keypoints: some box wider and higher than 1 pixel. */
    private static boolean hasValidAnnotation(List<Annotation> anns) {
        for (Annotation a : anns) if (a.bbox()[2] > 1 && a.bbox()[3] > 1) return true;
        return false;
    }

    private JsonNode array(JsonNode parent, String name, String at) {
        JsonNode n = parent.get(name);
        if (n == null) throw new CocoFormatException(annotationFile, at, "missing");
        if (!n.isArray()) throw new CocoFormatException(annotationFile, at, "expected a list, got " + n.getNodeType());
        return n;
    }

    private long integer(JsonNode parent, String name, String at) {
        if (!parent.isObject()) throw new CocoFormatException(annotationFile, at, "expected an object, got " + parent.getNodeType());
        JsonNode n = parent.get(name);
        if (n == null) throw new CocoFormatException(annotationFile, at + "." + name, "missing");
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
            throw new CocoFormatException(annotationFile, at + "." + name, "expected an integer, got " + n);
        }
        return n.asLong();
    }

    private String text(JsonNode parent, String name, String at) {
        JsonNode n = parent.get(name);
        if (n == null) throw new CocoFormatException(annotationFile, at + "." + name, "missing");
        if (!n.isTextual()) throw new CocoFormatException(annotationFile, at + "." + name, "expected a string, got " + n);
        return n.asText();
    }

    @Override
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    @Override
    public int size() {
        return images.size();
    }

    public ImageInfo info(int index) {
        return images.get(index);
    }

    /** The COCO category id of contiguous label {@code label} (1..K). */
    public long categoryId(int label) {
        return categoryIds[label - 1];
    }

    public String categoryName(int label) {
        return categoryNames.get(categoryId(label));
    }

    public int numClasses() {
        return categoryIds.length;
    }

    /** maskrcnn-benchmark's aspect-ratio groups (bins {@code [1]}) from the file's widths and heights. */
    public int[] aspectRatioGroups() {
        int[] h = new int[images.size()];
        int[] w = new int[images.size()];
        for (int i = 0; i < h.length; i++) {
            h[i] = images.get(i).height();
            w[i] = images.get(i).width();
        }
        return GroupedBatchSampler.aspectRatioGroups(h, w, 1.0);
    }

    /** The untransformed target of sample {@code index} for an image of {@code width × height}. */
    public Target target(int index, int width, int height) {
        List<Annotation> anns = annotations.getOrDefault(images.get(index).id(), List.of());
        List<Annotation> kept = anns.stream().filter(a -> !a.crowd()).toList();
        float[] boxes = new float[4 * kept.size()];
        int[] labels = new int[kept.size()];
        boolean masks = !kept.isEmpty() && kept.get(0).polygons() != null;
        List<List<float[]>> polys = masks ? new ArrayList<>() : null;
        for (int i = 0; i < kept.size(); i++) {
            Annotation a = kept.get(i);
            double[] b = a.bbox();
            // float32 like torch.as_tensor(boxes): x, y, w, h first rounded to float
            float x = (float) b[0];
            float y = (float) b[1];
            float w = (float) b[2];
            float h = (float) b[3];
            boxes[4 * i] = x;
            boxes[4 * i + 1] = y;
            boxes[4 * i + 2] = x + Math.max(w - 1f, 0f);
            boxes[4 * i + 3] = y + Math.max(h - 1f, 0f);
            labels[i] = a.category();
            if (masks) polys.add(a.polygons() != null ? a.polygons() : List.of());
        }
        return new Target(width, height, boxes, labels, polys).clipToImage(true);
    }

    @Override
    public DetectionSample get(int index) {
        ImageInfo info = images.get(index);
        Path file = imageRoot.resolve(info.fileName());
        ByteImage img;
        try {
            img = ImageDecoder.read(file);
        } catch (ImageDecodeException e) {
            throw new ImageDecodeException(file, "image id " + info.id() + " (index " + index + ", file_name of " + annotationFile.getFileName()
                    + "): " + e.getMessage().substring(e.getMessage().indexOf(": ") + 2), e);
        }
        return transform.apply(img, target(index, img.width(), img.height()), index, epoch);
    }
}
