package dev.kodiak.web;

/**
 * Where a widget runs its model, decided from its settings alone, before anything loads: the
 * browser (with the download limit {@code auto} keeps when it has a server to fall back to), a
 * Kodiak server, or nowhere because the widget is not set up. Pure Java: tested on the JVM.
 *
 * @param where the runtime chosen
 * @param limitBytes for the browser, the largest {@code model.onnx} to download; 0 for any
 *     size (the browser is the only way to answer, or the page asked for the browser)
 * @param problem what the page must add, when {@code where} is {@link Where#NONE}
 */
record RuntimePlan(Where where, double limitBytes, String problem) {
    /** The runtime a widget starts with. */
    enum Where {
        /** onnxruntime-web, in the page. */
        BROWSER,
        /** A Kodiak server. */
        SERVER,
        /** Neither: the widget names no bundle and no model. */
        NONE
    }

    /**
     * Decides.
     *
     * @param s the widget's settings
     * @return the plan
     */
    static RuntimePlan of(WidgetSettings s) {
        boolean bundle = !s.bundle().isEmpty();
        boolean browser = s.runtime() == WidgetSettings.RuntimeChoice.BROWSER
                || s.runtime() == WidgetSettings.RuntimeChoice.AUTO && bundle;
        if (browser && bundle) {
            // auto keeps its download limit only when a server can answer instead
            boolean limited = s.runtime() == WidgetSettings.RuntimeChoice.AUTO && s.hasServer();
            return new RuntimePlan(Where.BROWSER, limited ? s.autoLimitBytes() : 0, "");
        }
        if (!browser && s.hasServer()) {
            return new RuntimePlan(Where.SERVER, 0, "");
        }
        return new RuntimePlan(Where.NONE, 0, browser ? "data-runtime=\"browser\" needs "
                + "data-bundle" : "give data-bundle (a bundle folder's URL) or data-model "
                + "(a model on a Kodiak server)");
    }
}
