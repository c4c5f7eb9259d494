package dev.nativeext.binding;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a binding class as bytecode, in a few milliseconds (javac costs about half a second in
 * a fresh JVM). The class implements the user's interface; each interface method loads its
 * arguments and calls a {@code private static native} method of the same descriptor,
 * a call the JIT inlines to a direct JNI call. The static initialiser loads the library itself,
 * so that the library belongs to this class's loader, where JNI looks for its natives.
 */
public final class BindingClassWriter implements Opcodes {

    private BindingClassWriter() {
    }

    public static byte[] write(Binding b, String libraryPath) {
        if (b.api() == null) throw new IllegalArgumentException("bytecode is only written for interface bindings");
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        String self = b.internalName();
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, self, null, "java/lang/Object",
                new String[]{Type.getInternalName(b.api())});
        cw.visitSource("nativeext-generated", null);

        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        MethodVisitor clinit = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        clinit.visitLdcInsn(libraryPath);
        clinit.visitMethodInsn(INVOKESTATIC, "java/lang/System", "load", "(Ljava/lang/String;)V", false);
        clinit.visitInsn(RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();

        for (BoundMethod m : b.methods()) {
            String desc = m.descriptor();
            String nativeName = b.nativeName(m);
            String nativeDesc = m.nativeDescriptor();
            cw.visitMethod(ACC_PRIVATE | ACC_STATIC | ACC_NATIVE, nativeName, nativeDesc, null, null).visitEnd();
            MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, m.javaName(), desc, null, null);
            mv.visitCode();
            Type[] args = Type.getArgumentTypes(desc);
            int[] slots = new int[args.length];
            int next = 1;
            for (int i = 0; i < args.length; i++) {
                slots[i] = next;
                next += args[i].getSize();
            }
            boolean tensors = m.parameters().stream().anyMatch(p -> p.kind() == ArgKind.TENSOR);
            int held = next;
            Label start = new Label(), end = new Label(), handler = new Label();
            if (tensors) hold(mv, m, slots, held, start, end, handler);
            for (int i = 0; i < args.length; i++) {
                mv.visitVarInsn(args[i].getOpcode(ILOAD), slots[i]);
                convert(mv, m, m.parameters().get(i), i);
            }
            mv.visitMethodInsn(INVOKESTATIC, self, nativeName, nativeDesc, false);
            if (tensors) {
                mv.visitLabel(end);
                mv.visitVarInsn(ALOAD, held);
                mv.visitMethodInsn(INVOKEVIRTUAL, IN_FLIGHT, "close", "()V", false);
            }
            mv.visitInsn(Type.getReturnType(desc).getOpcode(IRETURN));
            if (tensors) {
                mv.visitLabel(handler);
                mv.visitVarInsn(ALOAD, held);
                mv.visitMethodInsn(INVOKEVIRTUAL, IN_FLIGHT, "close", "()V", false);
                mv.visitInsn(ATHROW);
            }
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * {@code InFlight held = InFlight.of(tensor arguments...)} and the start of a try whose
     * handler releases them and rethrows: the tensors stay reachable, and their memory allocated,
     * until the native returns, whatever another thread does with them meanwhile.
     */
    private static void hold(MethodVisitor mv, BoundMethod m, int[] slots, int held, Label start, Label end, Label handler) {
        List<Integer> ts = new ArrayList<>();
        for (int i = 0; i < m.parameters().size(); i++) if (m.parameters().get(i).kind() == ArgKind.TENSOR) ts.add(i);
        mv.visitLdcInsn(ts.size());
        mv.visitTypeInsn(ANEWARRAY, "dev/nativeext/tensor/Tensor");
        for (int k = 0; k < ts.size(); k++) {
            mv.visitInsn(DUP);
            mv.visitLdcInsn(k);
            mv.visitVarInsn(ALOAD, slots[ts.get(k)]);
            mv.visitInsn(AASTORE);
        }
        mv.visitMethodInsn(INVOKESTATIC, IN_FLIGHT, "of", "([Ldev/nativeext/tensor/Tensor;)L" + IN_FLIGHT + ";", false);
        mv.visitVarInsn(ASTORE, held);
        mv.visitTryCatchBlock(start, end, handler, null);
        mv.visitLabel(start);
    }

    private static final String IN_FLIGHT = "dev/nativeext/tensor/InFlight";

    /** Turns a Tensor or CudaStream on the stack into the long the native takes. */
    private static void convert(MethodVisitor mv, BoundMethod m, BoundParameter p, int i) {
        switch (p.kind()) {
            case TENSOR -> {
                var t = p.c().type();
                String scalar = t.scalar() == null || t.scalar() == dev.nativeext.header.CScalar.VOID ? null : t.scalar().name();
                if (scalar == null) mv.visitInsn(ACONST_NULL);
                else mv.visitLdcInsn(scalar);
                mv.visitLdcInsn("argument " + (i + 1) + " '" + p.c().name() + "' of " + m.function().name() + "()");
                mv.visitMethodInsn(INVOKESTATIC, "dev/nativeext/tensor/TensorArgs", "address",
                        "(Ldev/nativeext/tensor/Tensor;Ljava/lang/String;Ljava/lang/String;)J", false);
            }
            case STREAM -> mv.visitMethodInsn(INVOKESTATIC, "dev/nativeext/tensor/CudaStream", "handle",
                    "(Ldev/nativeext/tensor/CudaStream;)J", false);
            default -> { }
        }
    }
}
