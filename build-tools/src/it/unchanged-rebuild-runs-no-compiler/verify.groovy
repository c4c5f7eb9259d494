def log = new File(basedir, 'build.log').text
def check = { boolean ok, String what -> if (!ok) throw new AssertionError(what) }
def lines = log.readLines().findAll { it.contains('demo.vec_math_again [linux-x86_64]:') }
println "nativeext lines: $lines"
check(lines.size() == 2, "two builds logged: $lines")
check(lines[0].contains('built: 1 source(s) compiled'), "the first build compiles: ${lines[0]}")
check(lines[1].contains('cache hit, no compiler ran'), "the second runs no compiler: ${lines[1]}")
// The generated source was left untouched, so javac had nothing to do either.
def compiles = log.readLines().findAll { it.contains('Compiling 1 source file') && it.contains('target/classes') }
check(compiles.size() == 1, "javac compiled the main classes once: $compiles")
check(log.contains('Nothing to compile - all classes are up to date'), 'second build: nothing to compile')
return true
