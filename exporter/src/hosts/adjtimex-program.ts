/**
 * Why a perl helper: node_exporter's timex collector calls adjtimex(2), and the kernel publishes
 * that state (offset, frequency, maximum error, sync status) through no file in /proc or /sys —
 * the system call is the only way to read it. Node.js has no binding for it, and a native addon
 * would need a compiler on every machine that installs Hyperion. perl is on every Debian and
 * Ubuntu host (perl-base is Essential) and can make any system call with `syscall`, so one small
 * long-lived perl process answers the question on request: it is started once, not per scrape,
 * and a request is a line on its stdin. SSH hosts ask their agent (the `adjtimex` verb of
 * agent/hyperion-agent.pl, the same system call), so the timex collector works on them unchanged.
 *
 * The system call's number depends on the architecture of the perl that makes it (its
 * `archname`); the table covers the architectures Debian builds, and the perl's own
 * syscall.ph (installed with the full perl package) answers for any other.
 */

/** A perl sub, `adjtimex_answer()`, returning one line: "ok STATE FIELDS…" or "error ERRNO". */
export const PERL_ADJTIMEX_SUB = `
my $adjtimex_nr;
sub adjtimex_answer {
  no warnings 'once';
  unless (defined $adjtimex_nr) {
    require Config;
    my ($arch) = $Config::Config{archname} =~ /^([^-]+)/;
    my %nr = (x86_64 => 159, aarch64 => 171, riscv64 => 171, loongarch64 => 171,
      i386 => 124, i486 => 124, i586 => 124, i686 => 124, arm => 124, armel => 124, armhf => 124,
      powerpc => 124, powerpc64 => 124, powerpc64le => 124, ppc64le => 124, s390x => 124,
      mips => 4124, mipsel => 4124, mips64 => 5154, mips64el => 5154);
    $adjtimex_nr = $nr{$arch // ''};
    $adjtimex_nr = eval { no warnings; require 'syscall.ph'; &SYS_adjtimex() } unless defined $adjtimex_nr;
    $adjtimex_nr = -1 unless defined $adjtimex_nr;
  }
  return 'error ENOSYS' if $adjtimex_nr < 0;
  # struct timex with modes = 0 (read only). Longs are the perl's own (l!), as the kernel's ABI
  # for that userland; int fields are followed by padding up to the next long (x![l!]).
  my $buf = "\\0" x 512;
  my $state = syscall($adjtimex_nr, $buf);
  if ($state < 0) { for my $k (keys %!) { return "error $k" if $!{$k} } return 'error EIO' }
  return join(' ', 'ok', $state,
    unpack('I x![l!] l! l! l! l! i x![l!] l! l! l! l! l! l! l! l! i x![l!] l! l! l! l! l! i', $buf));
}
`;

/** The local helper: answers one line per line it reads, until its stdin closes. */
export const PERL_ADJTIMEX_PROGRAM = `use strict; use warnings;
${PERL_ADJTIMEX_SUB}
$| = 1;
while (defined(my $request = <STDIN>)) { print adjtimex_answer(), "\\n" }
`;
