# Warns, while the site is built, about a Kodiak widget that will download a large model into
# every reader's browser: runtime "auto" (the default) chooses the browser for a model.onnx
# under the widget's limit (20 MB, data-max-download-mb) only when a server is named to fall
# back to (model="..."); with no server, the browser is the only way to answer, whatever the
# size. Say runtime="browser" to mean it, or name a model, or export a smaller model.
module KodiakWidgets
  LIMIT_MB = 20.0
  INCLUDE = /\{%-?\s*include\s+kodiak-classifier\.html\s+(.*?)-?%\}/m
  PARAM = /(\w+)\s*=\s*"([^"]*)"/

  def self.check(doc)
    site = doc.site
    doc.content.to_s.scan(INCLUDE).each do |(params)|
      args = params.scan(PARAM).to_h
      runtime = args["runtime"] || site.config.dig("kodiak", "runtime") || "auto"
      bundle = args["bundle"]
      next if bundle.nil? || bundle.empty? || bundle.start_with?("http")
      next unless runtime == "auto" && (args["model"].nil? || args["model"].empty?)
      onnx = File.join(site.source, bundle, "model.onnx")
      next unless File.file?(onnx)
      mb = File.size(onnx) / 1_000_000.0
      next if mb <= LIMIT_MB
      Jekyll.logger.warn "Kodiak:", format("%s: runtime \"auto\" with no server (model) " \
        "downloads %s (%.1f MB, over the %d MB limit auto keeps when it can ask a server) " \
        "into every reader's browser; name a model for the server, say runtime=\"browser\" " \
        "if that is meant, or export a smaller model", doc.relative_path, File.join(bundle,
        "model.onnx"), mb, LIMIT_MB)
    end
  end
end

Jekyll::Hooks.register [:documents, :pages], :pre_render do |doc|
  KodiakWidgets.check(doc)
end
