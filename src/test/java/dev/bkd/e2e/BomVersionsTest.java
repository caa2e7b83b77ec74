package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * bkd-bom has no parent (so an app importing it gets no test/CLI libraries), which means its DJL/libtorch
 * versions are written twice. This keeps them equal to the ones the build is tested with, and makes sure every
 * published jar module is in the BOM.
 */
class BomVersionsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();

    private static Document read(Path pom) throws Exception {
        assertTrue(Files.isRegularFile(pom), "missing " + pom);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static String property(Document pom, String name) {
        NodeList props = pom.getDocumentElement().getElementsByTagName("properties");
        for (int i = 0; i < props.getLength(); i++) {
            NodeList hit = ((Element) props.item(i)).getElementsByTagName(name);
            if (hit.getLength() > 0) {
                return hit.item(0).getTextContent().trim();
            }
        }
        return null;
    }

    @Test
    void bomPinsTheVersionsTheBuildIsTestedWith() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("bkd-bom/pom.xml"));
        for (String p : List.of("djl.version", "pytorch.version", "jackson.version", "slf4j.version")) {
            assertEquals(property(parent, p), property(bom, p), p + " differs between pom.xml and bkd-bom/pom.xml");
        }
        assertEquals(parent.getDocumentElement().getElementsByTagName("version").item(0).getTextContent(),
                bom.getDocumentElement().getElementsByTagName("version").item(0).getTextContent(),
                "bkd-bom's version must be the project version");
    }

    @Test
    void bomManagesEveryPublishedJarModule() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        String bomText = Files.readString(ROOT.resolve("bkd-bom/pom.xml"));
        NodeList modules = parent.getElementsByTagName("module");
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < modules.getLength(); i++) {
            String dir = modules.item(i).getTextContent().trim();
            Document module = read(ROOT.resolve(dir).resolve("pom.xml"));
            String artifact = module.getDocumentElement().getElementsByTagName("artifactId").item(1).getTextContent();
            NodeList packaging = module.getDocumentElement().getElementsByTagName("packaging");
            boolean isPom = packaging.getLength() > 0 && "pom".equals(packaging.item(0).getTextContent().trim());
            boolean testsOnly = dir.startsWith("src/");
            if (!isPom && !testsOnly && !bomText.contains("<artifactId>" + artifact + "</artifactId>")) {
                missing.add(artifact);
            }
        }
        assertTrue(missing.isEmpty(), "modules not in bkd-bom: " + missing);
    }
}
