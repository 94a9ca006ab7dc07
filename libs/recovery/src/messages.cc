#include "messages.h"

#include <array>

namespace concord::recovery {
namespace {

struct Entry {
  std::string_view en, de, fr;
};

constexpr std::array<Entry, static_cast<size_t>(Msg::kCount)> kTexts = {{
    {"Community differences", "Abweichungen der Communitys", "Différences des communautés"},
    {"Orphaned remote applications", "Verwaiste Remote-Anwendungen",
     "Applications distantes orphelines"},
    {"Generated", "Erstellt", "Généré le"},
    {"Community", "Community", "Communauté"},
    {"Owners", "Eigentümer", "Propriétaires"},
    {"Status", "Status", "Statut"},
    {"Differences", "Abweichungen", "Différences"},
    {"Attribute", "Attribut", "Attribut"},
    {"In Communities", "In Communities", "Dans Communities"},
    {"In the application", "In der Anwendung", "Dans l'application"},
    {"differs", "weicht ab", "diffère"},
    {"in the trash", "im Papierkorb", "dans la corbeille"},
    {"resource missing in the application", "Ressource fehlt in der Anwendung",
     "ressource absente de l'application"},
    {"Owners missing in the application", "In der Anwendung fehlende Eigentümer",
     "Propriétaires absents de l'application"},
    {"Owners only in the application", "Eigentümer nur in der Anwendung",
     "Propriétaires uniquement dans l'application"},
    {"Members missing in the application", "In der Anwendung fehlende Mitglieder",
     "Membres absents de l'application"},
    {"Members only in the application", "Mitglieder nur in der Anwendung",
     "Membres uniquement dans l'application"},
    {"No differences: the application agrees with Communities.",
     "Keine Abweichungen: Die Anwendung stimmt mit Communities überein.",
     "Aucune différence : l'application est en accord avec Communities."},
    {"Communities with differences", "Communitys mit Abweichungen",
     "Communautés présentant des différences"},
    {"Object Identifying Id", "Objekt-ID", "Identifiant de l'objet"},
    {"Old community UUID", "UUID der alten Community", "UUID de l'ancienne communauté"},
    {"Reason", "Grund", "Motif"},
    {"What to do", "Vorgehen", "Que faire"},
    {"the community does not exist", "die Community existiert nicht", "la communauté n'existe pas"},
    {"the community has no such widget", "die Community hat dieses Widget nicht",
     "la communauté n'a pas ce widget"},
    {"the community's widget is bound to another resource",
     "das Widget der Community ist an eine andere Ressource gebunden",
     "le widget de la communauté est lié à une autre ressource"},
    {"the community is in the trash", "die Community ist im Papierkorb",
     "la communauté est dans la corbeille"},
    {"No orphaned resources.", "Keine verwaisten Ressourcen.", "Aucune ressource orpheline."},
    {"Orphaned resources", "Verwaiste Ressourcen", "Ressources orphelines"},
    {"Keep it", "Behalten", "La conserver"},
    {"Delete it", "Löschen", "La supprimer"},
    {"(none)", "(keine)", "(aucun)"},
}};

}  // namespace

std::string_view Text(Msg m, const std::string& locale) {
  const auto& e = kTexts[static_cast<size_t>(m)];
  if (locale == "de") return e.de;
  if (locale == "fr") return e.fr;
  return e.en;
}

}  // namespace concord::recovery
