import { BlockList, isIPv4, isIPv6 } from "node:net";

// Whether an address lies in a CIDR block (IPv4 or IPv6), for SNS filter policies' and Lambda
// filters' {cidr} and IAM's IpAddress condition. An IPv4 address written as IPv6 (::ffff:127.0.0.1,
// as a dual-stack socket reports it) is its IPv4 self.

export function inCidr(address: string, block: string): boolean {
  const ip = address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const [base = "", bits] = block.split("/");
  const family = isIPv4(base) ? "ipv4" : isIPv6(base) ? "ipv6" : undefined;
  if (family === undefined || !(family === "ipv4" ? isIPv4(ip) : isIPv6(ip))) return false;
  const max = family === "ipv4" ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return false;
  const list = new BlockList();
  list.addSubnet(base, prefix, family);
  return list.check(ip, family);
}
