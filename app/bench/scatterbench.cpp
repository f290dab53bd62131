// `upstep-bench-scatter`: the Embeddings tab's scatter with many points, measured as a user works
// it. Points come from a map TSV (x, y per line: upstep-bench-tsne --maps writes them) or, without
// one, from seeded clusters. Reports the median and the longest time, in milliseconds, of:
//   - set: handing the points over (the hit-test grid is built);
//   - zoom: a wheel step at the centre, then the repaint (the point layer is drawn again, with
//     a subset of a large map while the view moves);
//   - pan: a drag of 40 pixels, then the repaint;
//   - full_repaint: every point drawn, as when the view has come to rest or for an export;
//   - hover: the hit test under the cursor at 1,000 places;
//   - lasso: the points inside a polygon over a quarter of the plot.
// Prints one JSON object. Needs a display (Xvfb, or QT_QPA_PLATFORM=offscreen).
#include "embeddings/embeddingscatter.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QWheelEvent>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>

namespace {

std::vector<float> readMap(const std::string &file, std::int64_t limit)
{
    std::ifstream in(file);
    if (!in)
        throw std::runtime_error(file + ": cannot open");
    std::vector<float> positions;
    for (float x, y; (limit <= 0 || static_cast<std::int64_t>(positions.size()) < 2 * limit) && in >> x >> y;)
        positions.insert(positions.end(), {x, y});
    return positions;
}

std::vector<float> clusters(std::int64_t n)
{
    std::mt19937 random(3);
    std::normal_distribution<float> spread(0, 4);
    std::uniform_real_distribution<float> centre(-100, 100);
    std::vector<float> positions;
    positions.reserve(static_cast<std::size_t>(2 * n));
    std::vector<std::pair<float, float>> centres(20);
    for (auto &c : centres)
        c = {centre(random), centre(random)};
    for (std::int64_t i = 0; i < n; ++i) {
        const auto &c = centres[static_cast<std::size_t>(i) % centres.size()];
        positions.insert(positions.end(), {c.first + spread(random), c.second + spread(random)});
    }
    return positions;
}

/// Milliseconds of each call of f, as {median, longest}.
template <class F>
nlohmann::json timed(int times, F f)
{
    std::vector<double> ms;
    QElapsedTimer clock;
    for (int i = 0; i < times; ++i) {
        clock.start();
        f(i);
        ms.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return {{"median_ms", ms[ms.size() / 2]}, {"longest_ms", ms.back()}, {"times", times}};
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App cli{"Measures the embedding scatter with many points"};
    std::string map;
    std::int64_t points = 1000000;
    cli.add_option("--map", map, "Map TSV (x and y per line); without it, seeded clusters")->check(CLI::ExistingFile);
    cli.add_option("--points", points, "Points (the first of the map, or this many clusters' points)")
        ->capture_default_str();
    CLI11_PARSE(cli, argc, argv);

    QApplication app(argc, argv);
    upstep::ui::EmbeddingScatter scatter;
    scatter.resize(900, 700);
    scatter.show();
    auto positions = map.empty() ? clusters(points) : readMap(map, points);
    const auto n = static_cast<std::int64_t>(positions.size() / 2);
    std::vector<QRgb> colours(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        colours[static_cast<std::size_t>(i)] = QColor::fromHsv(static_cast<int>(i % 10) * 36, 200, 200).rgb();

    nlohmann::json row{{"points", n}, {"source", map.empty() ? "clusters" : map}};
    const auto palette = colours;
    row["set"] = timed(1, [&](int) { scatter.setPoints(std::move(positions), std::move(colours)); });
    (void)scatter.grab(); // the first paint
    const QPointF centre(scatter.width() / 2.0, scatter.height() / 2.0);
    row["zoom"] = timed(20, [&](int i) {
        QWheelEvent wheel(centre, scatter.mapToGlobal(centre), {}, {0, i < 10 ? 120 : -120}, Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(&scatter, &wheel);
        (void)scatter.grab();
    });
    row["pan"] = timed(20, [&](int i) {
        const QPointF from = centre, to = centre + QPointF(i % 2 ? -40 : 40, 0);
        QMouseEvent press(QEvent::MouseButtonPress, from, scatter.mapToGlobal(from), Qt::LeftButton, Qt::LeftButton,
                          Qt::NoModifier);
        QApplication::sendEvent(&scatter, &press);
        QMouseEvent move(QEvent::MouseMove, to, scatter.mapToGlobal(to), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&scatter, &move);
        QMouseEvent release(QEvent::MouseButtonRelease, to, scatter.mapToGlobal(to), Qt::LeftButton, Qt::NoButton,
                            Qt::NoModifier);
        QApplication::sendEvent(&scatter, &release);
        (void)scatter.grab();
    });
    // The view rests: every point again, kSettleMs later.
    QEventLoop rest;
    QTimer::singleShot(upstep::ui::EmbeddingScatter::kSettleMs + 100, &rest, &QEventLoop::quit);
    rest.exec();
    row["settles_to_every_point"] = scatter.isShowingEveryPoint();
    row["full_repaint"] = timed(5, [&](int) {
        scatter.setColours(palette); // the layer must be drawn again
        (void)scatter.renderToImage();
    });
    std::mt19937 random(5);
    std::uniform_real_distribution<double> x(0, scatter.width()), y(0, scatter.height());
    int hits = 0;
    row["hover"] = timed(1000, [&](int) { hits += scatter.pointAt(QPointF(x(random), y(random))) >= 0; });
    row["hover_hits"] = hits;
    const QPolygonF quarter({{centre.x() - 200, centre.y() - 150},
                             {centre.x() + 200, centre.y() - 150},
                             {centre.x() + 200, centre.y() + 150},
                             {centre.x() - 200, centre.y() + 150}});
    qsizetype inside = 0;
    row["lasso"] = timed(5, [&](int) { inside = scatter.pointsInside(quarter).size(); });
    row["lasso_points"] = inside;
    std::cout << row.dump() << std::endl;
    return 0;
}
