package dev.nativeext.binding;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

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
            cw.visitMethod(ACC_PRIVATE | ACC_STATIC | ACC_NATIVE, nativeName, desc, null, null).visitEnd();
            MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, m.javaName(), desc, null, null);
            mv.visitCode();
            int slot = 1;
            for (Type t : Type.getArgumentTypes(desc)) {
                mv.visitVarInsn(t.getOpcode(ILOAD), slot);
                slot += t.getSize();
            }
            mv.visitMethodInsn(INVOKESTATIC, self, nativeName, desc, false);
            mv.visitInsn(Type.getReturnType(desc).getOpcode(IRETURN));
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }
}
