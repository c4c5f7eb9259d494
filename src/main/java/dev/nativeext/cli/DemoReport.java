package dev.nativeext.cli;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** The demo's HTML report: one self-contained file, pictures embedded as PNG data URIs. */
final class DemoReport {

    private final StringBuilder html = new StringBuilder();

    DemoReport(String title, String intro) {
        html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1400px}img{image-rendering:pixelated;margin:2px;border:1px solid #ccc}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .append(".maps figure,.crops figure{display:inline-block;margin:4px;text-align:center;font-size:80%}")
                .append("section{border-top:2px solid #888;margin-top:1.5em}</style></head><body><h1>")
                .append(esc(title)).append("</h1><p>").append(intro).append("</p>");
    }

    void heading(String text) {
        html.append("<h2>").append(esc(text)).append("</h2>");
    }

    void paragraph(String rawHtml) {
        html.append("<p>").append(rawHtml).append("</p>");
    }

    void table(List<String> header, List<List<String>> rows) {
        html.append("<table><tr>");
        for (String h : header) html.append("<th>").append(esc(h)).append("</th>");
        html.append("</tr>");
        for (List<String> r : rows) {
            html.append("<tr>");
            for (String c : r) html.append("<td>").append(esc(c)).append("</td>");
            html.append("</tr>");
        }
        html.append("</table>");
    }

    void beginSection(String title) {
        html.append("<section><h3>").append(esc(title)).append("</h3>");
    }

    void endSection() {
        html.append("</section>");
    }

    void image(BufferedImage img, String alt) {
        html.append("<img alt=\"").append(esc(alt)).append("\" src=\"").append(dataUri(img)).append("\">");
    }

    void figures(String cssClass, List<BufferedImage> images, List<String> captions) {
        html.append("<div class=\"").append(cssClass).append("\">");
        for (int i = 0; i < images.size(); i++) {
            html.append("<figure><img src=\"").append(dataUri(images.get(i))).append("\"><figcaption>")
                    .append(esc(captions.get(i))).append("</figcaption></figure>");
        }
        html.append("</div>");
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, html + "</body></html>\n", StandardCharsets.UTF_8);
    }

    /** A {@code h × w} map (row-major) as a heat-map, scaled by {@code scale}, min..max to dark blue..yellow. */
    static BufferedImage heatMap(float[] v, int h, int w, int scale) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        float span = hi > lo ? hi - lo : 1;
        BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h * scale; y++) {
            for (int x = 0; x < w * scale; x++) {
                float t = (v[(y / scale) * w + x / scale] - lo) / span;
                img.setRGB(x, y, ramp(t));
            }
        }
        return img;
    }

    /** A viridis-like ramp: dark blue, teal, green, yellow. */
    private static int ramp(float t) {
        float[][] stops = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        float p = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) p);
        float f = p - i;
        int r = Math.round(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
        int g = Math.round(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
        int b = Math.round(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
        return (r << 16) | (g << 8) | b;
    }

    /** Draws xyxy boxes (in the image's own pixels) on a copy of {@code img}. */
    static BufferedImage withBoxes(BufferedImage img, float[] boxes) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(img, 0, 0, null);
        Color[] colors = {Color.RED, Color.CYAN, Color.MAGENTA, Color.ORANGE, Color.WHITE, Color.GREEN};
        g.setStroke(new java.awt.BasicStroke(2));
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            g.setColor(colors[(i / 4) % colors.length]);
            g.drawRect(Math.round(boxes[i]), Math.round(boxes[i + 1]), Math.round(boxes[i + 2] - boxes[i]), Math.round(boxes[i + 3] - boxes[i + 1]));
        }
        g.dispose();
        return out;
    }

    static String dataUri(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
