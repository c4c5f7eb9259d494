package dev.nativeext.toolchain;

import dev.nativeext.error.Diagnostic;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiagnosticParserTest {

    private static final Path WORK = Path.of("/w");

    @Test
    void gccErrorsComeFirstInPrintedOrderWithTheirPositions() {
        List<Diagnostic> d = DiagnosticParser.parse("""
                In file included from a.c:1:
                b.h:3:9: warning: unused variable 'q' [-Wunused-variable]
                a.c:10:5: error: 'x' undeclared (first use in this function)
                a.c:10:5: note: each undeclared identifier is reported only once
                /abs/c.c:2: error: no column here
                compilation terminated.
                """, WORK);
        assertEquals(4, d.size());
        assertEquals(new Diagnostic(Path.of("/w/a.c"), 10, 5, Diagnostic.Severity.ERROR, "'x' undeclared (first use in this function)"), d.get(0));
        assertEquals(Path.of("/abs/c.c"), d.get(1).file());
        assertEquals(2, d.get(1).line());
        assertEquals(Diagnostic.Severity.WARNING, d.get(2).severity());
        assertEquals(Diagnostic.Severity.NOTE, d.get(3).severity());
    }

    @Test
    void fatalErrorsAndNvccAndLinkerLinesAreUnderstood() {
        List<Diagnostic> d = DiagnosticParser.parse("""
                k.cu(12): error: identifier "foo" is undefined
                k.cu(3): warning #177-D: variable "v" was declared but never referenced
                m.c:1:10: fatal error: nothere.h: No such file or directory
                /usr/bin/ld: k.o: in function `f':
                k.c:(.text+0x9): undefined reference to `missing_fn'
                collect2: error: ld returned 1 exit status
                ptxas fatal   : Unresolved extern function 'g'
                """, WORK);
        assertEquals(Path.of("/w/k.cu"), d.get(0).file());
        assertEquals(12, d.get(0).line());
        assertEquals("identifier \"foo\" is undefined", d.get(0).message());
        assertEquals("nothere.h: No such file or directory", d.get(1).message());
        assertTrue(d.get(2).message().startsWith("undefined reference to 'missing_fn'"), d.get(2).toString());
        assertTrue(d.stream().anyMatch(x -> x.message().contains("Unresolved extern function")), d.toString());
        assertTrue(d.stream().noneMatch(x -> x.message().contains("ld returned")), "the summary line repeats the error");
        assertEquals(Diagnostic.Severity.WARNING, d.get(d.size() - 1).severity());
    }

    @Test
    void diagnosticsPrintAsFileLineColumn() {
        assertEquals("/w/a.c:3:4: error: boom", Diagnostic.error(Path.of("/w/a.c"), 3, 4, "boom").toString());
    }
}
