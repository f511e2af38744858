package dev.tollgate.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Models added through {@code /model/new}: {@code litellm_params} sealed by a {@link SecretBox}. Blocking. */
public final class ModelStore {
  /** A stored model; {@code litellmParams} null when it could not be opened (another salt key). */
  public record StoredModel(String modelId, String modelName, ObjectNode litellmParams, ObjectNode modelInfo) {}

  private final Database db;
  private final SecretBox box;

  public ModelStore(Database db, SecretBox box) {
    this.db = db;
    this.box = box;
  }

  public void put(StoredModel m, long now) throws SQLException {
    db.transaction(c -> {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM tg_model WHERE model_id=?");
          PreparedStatement ins = c.prepareStatement("INSERT INTO tg_model (model_id, model_name, litellm_params, model_info, created_at, updated_at) "
              + "VALUES (?,?,?,?,?,?)")) {
        del.setString(1, m.modelId());
        del.executeUpdate();
        ins.setString(1, m.modelId());
        ins.setString(2, m.modelName());
        ins.setString(3, box.seal(m.litellmParams().toString()));
        ins.setString(4, m.modelInfo().toString());
        ins.setLong(5, now);
        ins.setLong(6, now);
        return ins.executeUpdate();
      }
    });
  }

  public boolean delete(String modelId) throws SQLException {
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM tg_model WHERE model_id=?")) {
        ps.setString(1, modelId);
        return ps.executeUpdate() == 1;
      }
    });
  }

  public List<StoredModel> all() throws SQLException {
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT model_id, model_name, litellm_params, model_info FROM tg_model ORDER BY created_at");
          ResultSet rs = ps.executeQuery()) {
        List<StoredModel> out = new ArrayList<>();
        while (rs.next()) {
          ObjectNode params;
          try {
            params = EntityStore.parseObject(box.open(rs.getString(3)));
          } catch (SecretBox.WrongKeyException e) {
            params = null;
          }
          out.add(new StoredModel(rs.getString(1), rs.getString(2), params, EntityStore.parseObject(rs.getString(4))));
        }
        return out;
      }
    });
  }
}
