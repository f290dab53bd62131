#pragma once
// One colour per meaning, used in every view (UI.md): base is grey, adapted is the accent,
// ensemble a third; curve colours for the monitors. Readable on light and dark themes.
//
// Threading: constants.

#include <QColor>

namespace upstep::ui::palette {

inline const QColor kBase{0x8a, 0x8f, 0x98};
inline const QColor kAdapted{0x1e, 0x88, 0xe5};
inline const QColor kEnsemble{0xe6, 0x7e, 0x22};
inline const QColor kTotal{0x1e, 0x88, 0xe5};   ///< the loss the optimiser sees: the accent
inline const QColor kCluster{0x43, 0xa0, 0x47};
inline const QColor kAnchor{0x8e, 0x44, 0xad};  ///< CVR
inline const QColor kDrift{0xd8, 0x1b, 0x60};
inline const QColor kCenter{0xf4, 0xa2, 0x1c};
inline const QColor kSource{0x00, 0x89, 0x7b};
inline const QColor kGood{0x2e, 0x7d, 0x32};
inline const QColor kBad{0xc6, 0x28, 0x28};

} // namespace upstep::ui::palette
